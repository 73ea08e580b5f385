"""Sending text messages: the one-time identity codes.

``SmsGateway`` is what the identity actions call; ``gateway_from_env()`` picks the backend
from ``SMS_BACKEND``: ``outbox`` (the default: each message appended as a JSON line to a
local file a developer or a test can read) or ``tencent`` (Tencent Cloud SMS through its
official SDK, for real phones).
"""

from dataclasses import dataclass
from typing import Protocol

from settings import current


class SmsError(Exception):
    """A message the gateway could not send."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str  # the words, for backends that send text (the outbox)
    # The values of the provider's registered template, for backends that send those.
    template_params: tuple[str, ...] = ()


class SmsGateway(Protocol):
    def send(self, message: SmsMessage) -> None:
        """Sends or raises SmsError."""


def backend_name() -> str:
    return current().sms_backend.strip().lower()


def gateway_from_env() -> SmsGateway:
    name = backend_name()
    if name == "outbox":
        from sms.outbox import OutboxGateway

        return OutboxGateway.from_env()
    if name == "tencent":
        from sms.tencent import TencentSmsGateway

        return TencentSmsGateway.from_env()
    raise SmsError(f"unknown SMS_BACKEND {name!r} (outbox or tencent)")


TEST_MODE_VARIABLE = (
    "SMS_OUTBOX_TEST_ONLY"  # "1": this production set-up is a test; the outbox will do
)


def check_production_backend(env: dict) -> None:
    """Production sends real codes: the outbox backend only when the environment says it is a
    test."""
    name = (env.get("SMS_BACKEND") or "outbox").strip().lower()
    if name == "outbox" and env.get(TEST_MODE_VARIABLE) != "1":
        raise SmsError(
            "production refuses to start with the SMS outbox (codes would reach no phone): set "
            "SMS_BACKEND=tencent and its TENCENT_SMS_* variables, "
            f"or {TEST_MODE_VARIABLE}=1 in a test"
        )
