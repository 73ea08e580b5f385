"""The WeChat channel against the real Rasa server, as WeChat's servers would call it:
safe mode (AES) on the shared test servers, plain mode on a server of its own whose
answers all go through the (fake) customer-service API."""
import asyncio
import hashlib
import sqlite3
import time
import uuid

import aiohttp
import pytest
import requests
from wechatpy.crypto import WeChatCrypto
from wechatpy.crypto import _get_signature
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import to_text

from overdue.clock import now_in_china
from launcher import running_servers
from loandb.migrate import upgrade as create_schema
from loandb.seed import reset_demo_customers
from loandb.session import session_scope
from tests.conftest import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, wechat_env

pytestmark = pytest.mark.server

PATH = "/webhooks/wechat/webhook"


def signature(timestamp: str, nonce: str, token: str = WECHAT_TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def message_xml(openid: str, content: str = "", msg_type: str = "text", extra: str = "", msg_id=None) -> str:
    msg_id = msg_id or uuid.uuid4().int >> 65  # unique, as WeChat's 64-bit MsgIds are
    body = f"<Content><![CDATA[{content}]]></Content>" if msg_type == "text" else ""
    return (f"<xml><ToUserName><![CDATA[gh_bank]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{body}{extra}"
            f"<MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str, key: str = "", seconds_ago: int = 0) -> str:
    # Events carry no MsgId: WeChat tells them apart by sender and CreateTime.
    return (f"<xml><ToUserName><![CDATA[gh_bank]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time()) - seconds_ago}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")


class SafeModeClient:
    """Talks to the channel as WeChat does in safe mode, and decrypts what comes back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.crypto = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID)

    def post(self, xml: str, **overrides) -> requests.Response:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        encrypted = self.crypto.encrypt_message(xml, nonce, timestamp)
        msg_signature = encrypted.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        params = {"signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "encrypt_type": "aes", "msg_signature": msg_signature, **overrides}
        return requests.post(self.url + PATH, params=params, data=encrypted.encode(), timeout=15)

    def reply_text(self, response: requests.Response) -> str:
        assert response.status_code == 200, response.text
        if response.text == "success":
            return ""
        envelope = response.text
        msg_signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        timestamp = envelope.split("<TimeStamp>")[1].split("</TimeStamp>")[0]
        nonce = envelope.split("<Nonce><![CDATA[")[1].split("]]>")[0]
        plain = self.crypto.decrypt_message(envelope, msg_signature, timestamp, nonce)
        return to_text(plain).split("<Content><![CDATA[")[1].split("]]></Content>")[0]

    def say(self, openid: str, content: str) -> str:
        return self.reply_text(self.post(message_xml(openid, content)))


# --- WeChat's published test vectors (official sample code, via wechatpy's tests) ---------


VECTOR_TOKEN, VECTOR_KEY, VECTOR_APPID = "123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
VECTOR_ENCRYPTED = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6y"
    "dJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/T"
    "ywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5"
    "t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)


def test_crypto_decrypts_the_official_vector():
    envelope = f"<xml><ToUserName><![CDATA[{VECTOR_APPID}]]></ToUserName><Encrypt><![CDATA[{VECTOR_ENCRYPTED}]]></Encrypt></xml>"
    crypto = WeChatCrypto(VECTOR_TOKEN, VECTOR_KEY, VECTOR_APPID)
    plain = to_text(crypto.decrypt_message(envelope, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294"))
    assert "<Content><![CDATA[test]]></Content>" in plain and "messense" in plain


def test_crypto_signature_of_the_official_vector():
    assert _get_signature(VECTOR_TOKEN, "1411525903", "461056294", VECTOR_ENCRYPTED) == (
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d")
    crypto = WeChatCrypto(VECTOR_TOKEN, VECTOR_KEY, VECTOR_APPID)
    envelope = f"<xml><Encrypt><![CDATA[{VECTOR_ENCRYPTED}]]></Encrypt></xml>"
    with pytest.raises(InvalidSignatureException):
        crypto.decrypt_message(envelope, "0" * 40, "1411525903", "461056294")


# --- safe mode, on the shared servers --------------------------------------------------


@pytest.fixture(scope="module")
def safe(servers):
    return SafeModeClient(servers.rasa_url)


def verify_on_wechat(safe: SafeModeClient, servers, openid: str, digits: str, phone_tail: str) -> str:
    """The digits, then the code the SMS brought (from the servers' outbox): the reply to it."""
    mark = servers.outbox.mark()
    assert f"尾号{phone_tail}的手机" in safe.say(openid, digits)
    return safe.say(openid, servers.outbox.code_since(mark, phone_tail))


def test_url_verification(servers):
    timestamp, nonce = str(int(time.time())), "xxxxxx"  # within the replay window
    good = requests.get(servers.rasa_url + PATH, timeout=10, params={
        "signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": "4828157"})
    assert (good.status_code, good.text) == (200, "4828157")
    bad = requests.get(servers.rasa_url + PATH, timeout=10, params={
        "signature": "0" * 40, "timestamp": timestamp, "nonce": nonce, "echostr": "4828157"})
    assert bad.status_code == 403


def test_text_in_safe_mode_gets_an_encrypted_passive_reply(safe):
    assert "邮储银行智能客服" in safe.say(f"o{uuid.uuid4().hex[:12]}", "你好")


def test_identity_and_figures_over_wechat_then_numbered_options(servers, safe, no_card_plans):
    openid = f"o{uuid.uuid4().hex[:12]}"
    assert "身份证号后四位" in safe.say(openid, "我想分期")
    options = verify_on_wechat(safe, servers, openid, "身份证后四位3021，手机尾号8866", "8866")
    assert "回复 2：6期：每月还2,072.00元，手续费共432.00元" in options
    summary = safe.say(openid, "２")  # the digit of the second option, full-width
    assert "分6期" in summary and "回复 1：确认提交" in summary
    assert "已为您办理账单分期" in safe.say(openid, "1")


def test_unencrypted_post_is_refused_in_safe_mode(servers):
    timestamp, nonce = str(int(time.time())), "12345"
    response = requests.post(servers.rasa_url + PATH, data=message_xml("oX", "你好").encode(), timeout=10,
                             params={"signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce})
    assert response.status_code == 403


@pytest.mark.parametrize("override", [{"signature": "0" * 40}, {"msg_signature": "0" * 40}])
def test_forged_signatures_are_refused(safe, override):
    assert safe.post(message_xml("oForged", "你好"), **override).status_code == 403


def test_retries_are_answered_once_and_stored_once(servers, safe):
    openid = f"o{uuid.uuid4().hex[:12]}"
    xml = message_xml(openid, "我欠多少钱", msg_id=987654321012)
    replies = [safe.reply_text(safe.post(xml)) for _ in range(3)]
    assert replies[0] and replies == [replies[0]] * 3
    with sqlite3.connect(servers.tracker_db) as connection:
        stored = connection.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user'", (openid,)).fetchone()[0]
    assert stored == 1


@pytest.mark.parametrize(
    "msg_type, extra, expected",
    [
        ("image", "<PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>", "看不了图片"),
        ("location", "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Scale>20</Scale><Label><![CDATA[x]]></Label>",
         "看不了位置"),
        ("voice", "<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format>", "打字告诉我"),
        ("voice", "<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[我欠多少钱]]></Recognition>",
         "身份证号后四位"),
    ],
)
def test_message_types(safe, msg_type, extra, expected):
    reply = safe.reply_text(safe.post(message_xml(f"o{uuid.uuid4().hex[:12]}", msg_type=msg_type, extra=extra)))
    assert expected in reply


def test_events_and_menu_clicks(safe):
    openid = f"o{uuid.uuid4().hex[:12]}"
    assert "可以帮您查询逾期金额" in safe.reply_text(safe.post(event_xml(openid, "subscribe", seconds_ago=20)))
    assert "身份证号后四位" in safe.reply_text(safe.post(event_xml(openid, "CLICK", "OVERDUE_STATUS", seconds_ago=10)))
    assert safe.post(event_xml(openid, "unsubscribe")).text == "success"


@pytest.mark.parametrize(
    "body, status",
    [
        (b"x" * (1024 * 1024 + 10), 413),
        (b"<xml><Encrypt>not base64 at all</Encrypt></xml>", 400),
        (b"<xml><unclosed>", 400),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>', 400),
    ],
)
def test_bad_bodies_never_500(servers, body, status):
    timestamp, nonce = str(int(time.time())), "12345"
    params = {"signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "encrypt_type": "aes", "msg_signature": "0" * 40}
    response = requests.post(servers.rasa_url + PATH, params=params, data=body, timeout=15)
    assert response.status_code in (status, 403)
    if body.startswith(b"x"):
        assert response.status_code == 413
    assert requests.get(servers.rasa_url + "/webhooks/wechat/", timeout=5).status_code == 200


def test_twenty_customers_at_once_are_answered_within_five_seconds(safe):
    async def one(session, index):
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        encrypted = safe.crypto.encrypt_message(message_xml(f"oLoad{index}{uuid.uuid4().hex[:6]}", "你好"), nonce, timestamp)
        msg_signature = encrypted.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        params = {"signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "encrypt_type": "aes", "msg_signature": msg_signature}
        started = time.perf_counter()
        async with session.post(safe.url + PATH, params=params, data=encrypted.encode()) as response:
            text = await response.text()
        return time.perf_counter() - started, text

    async def all_at_once():
        async with aiohttp.ClientSession() as session:
            return await asyncio.gather(*(one(session, i) for i in range(20)))

    results = asyncio.run(all_at_once())
    assert all(text.startswith("<xml>") for _, text in results)  # a passive reply, not "success"
    assert max(seconds for seconds, _ in results) < 5


# --- plain mode, every answer late, on a server of its own -------------------------------


@pytest.fixture(scope="module")
def plain(tmp_path_factory, today, fake_wechat_api):
    work = tmp_path_factory.mktemp("plain-wechat")
    loans_url = f"sqlite:///{work / 'loans.db'}"
    create_schema(loans_url)
    with session_scope(loans_url) as session:
        reset_demo_customers(session, today)
    with running_servers(work, loans_url, extra_env=wechat_env(fake_wechat_api.base_url, reply_timeout="0.01")) as s:
        yield s


def plain_post(url: str, xml: str) -> requests.Response:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    return requests.post(url + PATH, data=xml.encode("utf-8"), timeout=15,
                         params={"signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce})


def test_plain_mode_slow_answer_goes_through_the_customer_service_api(plain, fake_wechat_api):
    # A question that waits on the action server: longer than this server's 0.01 s limit.
    openid = f"o{uuid.uuid4().hex[:12]}"
    assert plain_post(plain.rasa_url, message_xml(openid, "我现在欠多少钱")).text == "success"
    deadline = time.monotonic() + 20
    while not fake_wechat_api.texts_to(openid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "身份证号后四位" in fake_wechat_api.texts_to(openid)[0]


def test_plain_mode_channel_answers_are_passive_and_forgeries_refused(plain):
    reply = plain_post(plain.rasa_url, message_xml(f"o{uuid.uuid4().hex[:12]}", msg_type="image",
                                                  extra="<PicUrl><![CDATA[http://x]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"))
    assert reply.status_code == 200 and "看不了图片" in reply.text
    forged = requests.post(plain.rasa_url + PATH, data=message_xml("oX", "你好").encode(), timeout=10,
                           params={"signature": "0" * 40, "timestamp": "1", "nonce": "2"})
    assert forged.status_code == 403
    malformed = plain_post(plain.rasa_url, "<xml><MsgType>")
    assert malformed.status_code == 400


def test_a_wechat_customer_is_bound_after_the_identity_check(servers, safe):
    from sqlalchemy import select

    from loandb.models import Customer

    openid = f"o{uuid.uuid4().hex[:12]}"
    with session_scope(servers.loans_url) as session:
        wang = session.execute(select(Customer).where(Customer.name == "王强")).scalar_one()
        wang.wechat_openid = None  # as if he had never used WeChat
    safe.say(openid, "我欠多少钱")
    mark = servers.outbox.mark()
    asked = safe.say(openid, "7788 0019")
    assert "尾号0019的手机" in asked and "8,500.00元" not in asked
    with session_scope(servers.loans_url) as session:  # the digits alone bind nothing
        assert session.execute(select(Customer.wechat_openid).where(Customer.name == "王强")).scalar_one() is None
    assert "8,500.00元" in safe.say(openid, servers.outbox.code_since(mark, "0019"))
    with session_scope(servers.loans_url) as session:
        assert session.execute(select(Customer.wechat_openid).where(Customer.name == "王强")).scalar_one() == openid
    later = f"{openid}-again"  # another sender cannot claim the same customer by openid
    assert "身份证号后四位" in safe.say(later, "我欠多少钱")
    # Exactly 解绑 undoes it: no more reminders here, and the next question asks who again.
    assert "已为您解除微信绑定" in safe.say(openid, "解绑")
    with session_scope(servers.loans_url) as session:
        wang = session.execute(select(Customer).where(Customer.name == "王强")).scalar_one()
        assert (wang.wechat_openid, wang.wechat_bound_at) == (None, None)
        wang.wechat_openid, wang.wechat_bound_at = "oDEMO_wangqiang", now_in_china()  # as seeded, for the others
    assert "身份证号后四位" in safe.say(openid, "我欠多少钱")


def test_an_agent_reply_reaches_a_wechat_customer(servers, safe, fake_wechat_api, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from console.app import create_app
    from console.delivery import wechat_client
    from overdue.passwords import hash_password
    from gateways.rasa_http import RasaAPI
    from loandb.models import Agent, HandoffTicket

    monkeypatch.setenv("LOAN_DB_URL", servers.loans_url)
    for name, value in wechat_env(fake_wechat_api.base_url, WECHAT_AES_KEY).items():
        monkeypatch.setenv(name, value)
    wechat_client.cache_clear()
    with session_scope(servers.loans_url) as session:
        if session.execute(select(Agent).where(Agent.username == "wechat-agent")).scalars().first() is None:
            session.add(Agent(username="wechat-agent", display_name="微信坐席", password_hash=hash_password("pw-wechat-1")))
    console = TestClient(create_app(RasaAPI(servers.rasa_url), secret_key="t"), base_url="http://127.0.0.1")
    token = console.get("/agent/login").text.split('name="csrf" value="')[1].split('"')[0]
    console.post("/agent/login", data={"username": "wechat-agent", "password": "pw-wechat-1", "csrf": token})

    openid = f"o{uuid.uuid4().hex[:12]}"
    assert "已为您转接人工客服" in safe.say(openid, "转人工")
    with session_scope(servers.loans_url) as session:
        ticket = session.execute(select(HandoffTicket).where(HandoffTicket.conversation_id == openid)).scalar_one()
        assert ticket.channel == "wechat"
    page = console.get(f"/agent/tickets/{ticket.id}").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    console.post(f"/agent/tickets/{ticket.id}/reply", data={"text": "您好，我是人工客服。", "csrf": token})
    assert fake_wechat_api.texts_to(openid) == ["您好，我是人工客服。"]
    wechat_client.cache_clear()
