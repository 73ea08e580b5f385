"""Tencent Cloud SMS through its official SDK (tencentcloud-sdk-python-sms, API 2021-01-11).

Tencent sends only messages registered in advance: a signature (``TENCENT_SMS_SIGN_NAME``)
and a template (``TENCENT_SMS_TEMPLATE_ID``) whose parameters here are the code and the
minutes it is valid, e.g. "您的验证码为{1}，{2}分钟内有效，请勿告诉他人。".
"""

import logging
from dataclasses import dataclass

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from settings import current
from sms import SmsError, SmsMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TencentSettings:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    template_id: str
    region: str = "ap-guangzhou"
    endpoint: str = "sms.tencentcloudapi.com"
    scheme: str = "https"  # tests point the SDK at a local fake over plain HTTP

    @classmethod
    def from_env(cls) -> "TencentSettings":
        settings = current()

        def required(name: str) -> str:
            value = str(getattr(settings, name.lower())).strip()
            if not value:
                raise SmsError(f"SMS_BACKEND=tencent needs {name}")
            return value

        return cls(
            secret_id=required("TENCENT_SMS_SECRET_ID"),
            secret_key=required("TENCENT_SMS_SECRET_KEY"),
            sdk_app_id=required("TENCENT_SMS_SDK_APP_ID"),
            sign_name=required("TENCENT_SMS_SIGN_NAME"),
            template_id=required("TENCENT_SMS_TEMPLATE_ID"),
            region=settings.tencent_sms_region,
            endpoint=settings.tencent_sms_endpoint,
            scheme=settings.tencent_sms_scheme,
        )


def _e164(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    return digits if digits.startswith("+") else f"+86{digits}"


class TencentSmsGateway:
    def __init__(self, settings: TencentSettings) -> None:
        self.settings = settings
        profile = ClientProfile(
            httpProfile=HttpProfile(
                protocol=settings.scheme, endpoint=settings.endpoint, reqTimeout=10
            )
        )
        self.client = sms_client.SmsClient(
            credential.Credential(settings.secret_id, settings.secret_key), settings.region, profile
        )

    @classmethod
    def from_env(cls) -> "TencentSmsGateway":
        return cls(TencentSettings.from_env())

    def send(self, message: SmsMessage) -> None:
        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.settings.sdk_app_id
        request.SignName = self.settings.sign_name
        request.TemplateId = self.settings.template_id
        request.TemplateParamSet = list(message.template_params)
        request.PhoneNumberSet = [_e164(message.phone)]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            # The code is in the request, never in the log: only the provider's error.
            raise SmsError(f"Tencent SMS refused the request: {error.code}") from error
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code = statuses[0].Code if statuses else "no status"
            raise SmsError(f"Tencent SMS did not send: {code}")
        logger.info("SMS sent through Tencent Cloud, serial %s", statuses[0].SerialNo)
