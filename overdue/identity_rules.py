"""The bank's rules for proving who a customer is: one-time codes, lockouts, WeChat bindings.

Pure functions over the policy values (``identity:`` in policy.yml) and times: nothing
here knows Rasa, the web or the database. The store (loandb/identity_store.py) and the
identity actions apply them.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# scrypt at these costs takes tens of milliseconds: trying all million six-digit codes
# against a leaked hash takes hours, and a code lives minutes.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class IdentityRules:
    """``identity:`` in policy.yml."""

    max_attempts: int  # wrong digits in one conversation, then a person is offered
    code_digits: int
    code_valid_minutes: int
    code_max_wrong: int
    resend_after_seconds: int
    codes_per_hour: int
    customer_max_failures: int
    customer_window_hours: int
    customer_lock_hours: int
    source_max_failures: int
    source_window_minutes: int
    alert_failures_per_hour: int
    wechat_binding_days: int

    @classmethod
    def from_dict(cls, raw: dict) -> "IdentityRules":
        return cls(**{name: int(raw[name]) for name in cls.__dataclass_fields__})


def new_code(rules: IdentityRules) -> str:
    """A fresh code from the system's secure random source."""
    return "".join(secrets.choice("0123456789") for _ in range(rules.code_digits))


def hash_code(code: str, pepper: bytes = b"") -> str:
    """What is stored instead of the code: ``scrypt$<salt>$<digest>``, salted per code."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode() + pepper, salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def code_matches(code: str, stored: str, pepper: bytes = b"") -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(code.encode() + pepper, salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def code_expires_at(issued_at: datetime, rules: IdentityRules) -> datetime:
    return issued_at + timedelta(minutes=rules.code_valid_minutes)


@dataclass(frozen=True)
class ResendRefusal:
    """Why no new code goes out now: too soon after the last one, or the hour's quota used."""

    reason: str  # "too_soon" or "hourly_limit"
    wait_seconds: int


def resend_refusal(
    sent_at: Sequence[datetime], now: datetime, rules: IdentityRules
) -> ResendRefusal | None:
    """Whether a code may go to a phone that was sent codes at ``sent_at`` (any order)."""
    hour_ago = now - timedelta(hours=1)
    recent = sorted(t for t in sent_at if t > hour_ago)
    if recent:
        since_last = (now - recent[-1]).total_seconds()
        if since_last < rules.resend_after_seconds:
            return ResendRefusal("too_soon", int(rules.resend_after_seconds - since_last) + 1)
    if len(recent) >= rules.codes_per_hour:
        # The quota frees up when the oldest code of the hour leaves the window.
        return ResendRefusal("hourly_limit", int((recent[0] - hour_ago).total_seconds()) + 1)
    return None


def customer_window_start(
    now: datetime, rules: IdentityRules, lifted_at: datetime | None = None
) -> datetime:
    """Failures since then count towards a customer's lock: the window, but never before an
    agent last lifted a lock (the customer starts afresh after a check by phone)."""
    start = now - timedelta(hours=rules.customer_window_hours)
    return max(start, lifted_at) if lifted_at else start


def customer_lock_until(
    failures_in_window: int, now: datetime, rules: IdentityRules
) -> datetime | None:
    """When a lock should end if one starts now, or None when the failures allow no lock yet."""
    if failures_in_window < rules.customer_max_failures:
        return None
    return now + timedelta(hours=rules.customer_lock_hours)


def source_window_start(now: datetime, rules: IdentityRules) -> datetime:
    return now - timedelta(minutes=rules.source_window_minutes)


def source_blocked(failures_in_window: int, rules: IdentityRules) -> bool:
    return failures_in_window >= rules.source_max_failures


def overall_alert(failures_last_hour: int, rules: IdentityRules) -> bool:
    """A spike across every source: someone is trying many customers at once."""
    return failures_last_hour >= rules.alert_failures_per_hour


def binding_valid(bound_at: datetime | None, now: datetime, rules: IdentityRules) -> bool:
    """A WeChat binding is trusted for ``wechat_binding_days`` after it was made."""
    return bound_at is not None and now < bound_at + timedelta(days=rules.wechat_binding_days)


def phone_tail(phone: str) -> str:
    """The last four digits, the only part of a phone number a customer is shown."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[-4:]
