"""The SMS gateway: the local outbox, Tencent Cloud's SDK against a local fake of its API,
and production refusing the outbox unless it is a test."""
import json

import pytest

from sms import SmsError, SmsMessage, check_production_backend, gateway_from_env
from sms.outbox import OutboxGateway
from sms.tencent import TencentSmsGateway
from tests.fake_tencent_sms import FakeTencentSms

SECRET_ID, SECRET_KEY = "AKIDfakeid", "fake-secret-key"


def tencent_env(monkeypatch, endpoint: str, key: str = SECRET_KEY) -> None:
    for name, value in {"SMS_BACKEND": "tencent", "TENCENT_SMS_SECRET_ID": SECRET_ID,
                        "TENCENT_SMS_SECRET_KEY": key, "TENCENT_SMS_SDK_APP_ID": "1400000000",
                        "TENCENT_SMS_SIGN_NAME": "邮储银行", "TENCENT_SMS_TEMPLATE_ID": "123456",
                        "TENCENT_SMS_ENDPOINT": endpoint, "TENCENT_SMS_SCHEME": "http"}.items():
        monkeypatch.setenv(name, value)


def test_the_outbox_appends_one_json_line_per_message(tmp_path, monkeypatch):
    path = tmp_path / "outbox" / "sms.jsonl"
    monkeypatch.setenv("SMS_BACKEND", "outbox")
    monkeypatch.setenv("SMS_OUTBOX_PATH", str(path))
    gateway = gateway_from_env()
    assert isinstance(gateway, OutboxGateway)
    gateway.send(SmsMessage("13800138866", "验证码123456"))
    gateway.send(SmsMessage("13912345521", "验证码654321"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["phone"], line["text"]) for line in lines] == [("13800138866", "验证码123456"),
                                                                  ("13912345521", "验证码654321")]
    assert all(set(line) == {"phone", "text", "sent_at"} for line in lines)
    assert all(line["sent_at"].endswith("+08:00") for line in lines)  # China time, as every date we write


def test_tencent_sends_the_template_with_the_code_through_the_official_sdk(monkeypatch):
    with FakeTencentSms(SECRET_ID, SECRET_KEY) as fake:
        tencent_env(monkeypatch, fake.endpoint)
        gateway = gateway_from_env()
        assert isinstance(gateway, TencentSmsGateway)
        gateway.send(SmsMessage("13800138866", "unused", ("482913", "5")))
    [request] = fake.requests
    assert request["params"] == {"PhoneNumberSet": ["+8613800138866"], "SmsSdkAppId": "1400000000",
                                 "SignName": "邮储银行", "TemplateId": "123456", "TemplateParamSet": ["482913", "5"]}
    assert request["headers"]["X-TC-Version"] == "2021-01-11"


def test_tencent_errors_become_sms_errors_without_the_code(monkeypatch):
    with FakeTencentSms(SECRET_ID, SECRET_KEY) as fake:
        tencent_env(monkeypatch, fake.endpoint, key="a-wrong-key")
        with pytest.raises(SmsError) as refused:
            gateway_from_env().send(SmsMessage("13800138866", "", ("482913", "5")))
    assert "SignatureFailure" in str(refused.value) and "482913" not in str(refused.value)
    assert fake.requests == []


def test_tencent_delivery_failure_is_an_error(monkeypatch):
    with FakeTencentSms(SECRET_ID, SECRET_KEY, status_code="LimitExceeded.PhoneNumberDailyLimit") as fake:
        tencent_env(monkeypatch, fake.endpoint)
        with pytest.raises(SmsError, match="PhoneNumberDailyLimit"):
            gateway_from_env().send(SmsMessage("13800138866", "", ("482913", "5")))


def test_tencent_needs_its_settings(monkeypatch):
    monkeypatch.setenv("SMS_BACKEND", "tencent")
    monkeypatch.delenv("TENCENT_SMS_SECRET_ID", raising=False)
    with pytest.raises(SmsError, match="TENCENT_SMS_SECRET_ID"):
        gateway_from_env()


@pytest.mark.parametrize("env, allowed", [
    ({}, False),
    ({"SMS_BACKEND": "outbox"}, False),
    ({"SMS_BACKEND": "outbox", "SMS_OUTBOX_TEST_ONLY": "1"}, True),
    ({"SMS_BACKEND": "tencent"}, True),
])
def test_production_refuses_the_outbox_unless_it_is_a_test(env, allowed):
    if allowed:
        check_production_backend(env)
    else:
        with pytest.raises(SmsError, match="SMS_OUTBOX_TEST_ONLY"):
            check_production_backend(env)
