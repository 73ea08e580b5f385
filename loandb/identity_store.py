"""One-time codes, failed identity checks and customers' locks, in the loan database.

Kept here, not in a conversation's slots, so that a new conversation, another channel, a
restart or a second instance sees the same counts. Each function takes the caller's
session; the rules themselves are overdue/identity_rules.py.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from loandb.models import Customer, IdentityFailure, IdentityLock, OneTimeCode
from overdue import identity_rules as rules_
from overdue.identity_rules import IdentityRules, ResendRefusal
from settings import current

logger = logging.getLogger(__name__)


def _pepper() -> bytes:
    """A secret mixed into every code's hash when set (IDENTITY_CODE_PEPPER): a copy of the
    database alone then does not even allow guessing codes offline."""
    return current().identity_code_pepper.encode()


def _aware(moment: datetime | None, like: datetime) -> datetime | None:
    """SQLite hands datetimes back without their zone; they were stored in ``like``'s."""
    if moment is not None and moment.tzinfo is None and like.tzinfo is not None:
        return moment.replace(tzinfo=like.tzinfo)
    return moment


# --- one-time codes -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    code: str | None  # to send, never to store or log; None when refused
    refusal: ResendRefusal | None = None


def issue_code(
    session: Session, customer: Customer, conversation_id: str, now: datetime, rules: IdentityRules
) -> IssuedCode:
    """A new code for this conversation (earlier ones void), unless the phone had one too
    recently or too many this hour."""
    sent = session.execute(
        select(OneTimeCode.sent_at)
        .join(Customer, Customer.id == OneTimeCode.customer_id)
        .where(Customer.phone == customer.phone, OneTimeCode.sent_at > now - timedelta(hours=1))
    ).scalars()
    refusal = rules_.resend_refusal([_aware(t, now) for t in sent], now, rules)
    if refusal is not None:
        return IssuedCode(None, refusal)
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.conversation_id == conversation_id,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    code = rules_.new_code(rules)
    session.add(
        OneTimeCode(
            customer_id=customer.id,
            conversation_id=conversation_id,
            code_hash=rules_.hash_code(code, _pepper()),
            sent_at=now,
            expires_at=rules_.code_expires_at(now, rules),
            wrong_attempts=0,
        )
    )
    session.flush()
    return IssuedCode(code)


@dataclass(frozen=True)
class CodeCheck:
    outcome: str  # verified, wrong, voided (too many wrong), expired, none (no code to check)
    customer_id: int | None = None
    remaining: int = 0


def check_code(
    session: Session, conversation_id: str, code: str, now: datetime, rules: IdentityRules
) -> CodeCheck:
    """Checks a code typed in this conversation against the one it was sent; a code works once."""
    pending = (
        session.execute(
            select(OneTimeCode)
            .where(
                OneTimeCode.conversation_id == conversation_id,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.voided_at.is_(None),
            )
            .order_by(OneTimeCode.id.desc())
            .with_for_update()
        )
        .scalars()
        .first()
    )
    if pending is None:
        return CodeCheck("none")
    if now >= _aware(pending.expires_at, now):
        pending.voided_at = now
        return CodeCheck("expired", pending.customer_id)
    if rules_.code_matches(code, pending.code_hash, _pepper()):
        pending.used_at = now
        return CodeCheck("verified", pending.customer_id)
    pending.wrong_attempts += 1
    remaining = rules.code_max_wrong - pending.wrong_attempts
    if remaining <= 0:
        pending.voided_at = now
        return CodeCheck("voided", pending.customer_id)
    return CodeCheck("wrong", pending.customer_id, remaining)


def pending_code_customer(session: Session, conversation_id: str, now: datetime) -> int | None:
    """The customer whose live code this conversation is waiting for, if any."""
    return (
        session.execute(
            select(OneTimeCode.customer_id)
            .where(
                OneTimeCode.conversation_id == conversation_id,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.voided_at.is_(None),
                OneTimeCode.expires_at > now,
            )
            .order_by(OneTimeCode.id.desc())
        )
        .scalars()
        .first()
    )


# --- failures, locks and blocked sources ------------------------------------------------


def customers_with_tails(session: Session, tails: Iterable[str]) -> list[int]:
    """Customers a failed check may have been aimed at: whose ID or phone ends in a tail given."""
    tails = sorted({t.upper() for t in tails if t})
    if not tails:
        return []
    statement = select(Customer.id).where(
        or_(Customer.id_last4.in_(tails), Customer.phone_last4.in_(tails))
    )
    return list(session.execute(statement).scalars())


def customer_subject(customer_id: int) -> str:
    return f"customer:{customer_id}"


@dataclass(frozen=True)
class FailureOutcome:
    locked_customers: list[int]
    source_blocked: bool
    alert: bool


def record_failure(
    session: Session,
    kind: str,
    customer_ids: Sequence[int],
    sources: Sequence[str],
    now: datetime,
    rules: IdentityRules,
) -> FailureOutcome:
    """Counts one failed check against each customer it may have been aimed at and each
    source it came from; locks customers and reports sources that reached their limit."""
    attempt = uuid.uuid4().hex
    subjects = [customer_subject(c) for c in dict.fromkeys(customer_ids)] + list(
        dict.fromkeys(sources)
    )
    for subject in subjects:
        session.add(IdentityFailure(attempt=attempt, subject=subject, kind=kind, occurred_at=now))
    session.flush()
    locked = [c for c in dict.fromkeys(customer_ids) if lock_if_due(session, c, now, rules)]
    blocked = any(blocked_source(session, [s], now, rules) for s in sources)
    last_hour = overall_failures(session, now - timedelta(hours=1))
    alert = rules_.overall_alert(last_hour, rules)
    if alert:
        logger.warning(
            "ALERT identity failures: %d failed checks in the last hour across all sources",
            last_hour,
        )
    return FailureOutcome(locked, blocked, alert)


def _failures(session: Session, subject: str, since: datetime) -> int:
    return session.execute(
        select(func.count())
        .select_from(IdentityFailure)
        .where(IdentityFailure.subject == subject, IdentityFailure.occurred_at > since)
    ).scalar_one()


def overall_failures(session: Session, since: datetime) -> int:
    return session.execute(
        select(func.count(func.distinct(IdentityFailure.attempt))).where(
            IdentityFailure.occurred_at > since
        )
    ).scalar_one()


def active_lock(session: Session, customer_id: int, now: datetime) -> IdentityLock | None:
    return (
        session.execute(
            select(IdentityLock)
            .where(
                IdentityLock.customer_id == customer_id,
                IdentityLock.lifted_at.is_(None),
                IdentityLock.locked_until > now,
            )
            .order_by(IdentityLock.id.desc())
        )
        .scalars()
        .first()
    )


def lock_if_due(session: Session, customer_id: int, now: datetime, rules: IdentityRules) -> bool:
    """Locks the customer when their failures since the window (or the last lift) reached the
    limit."""
    if active_lock(session, customer_id, now) is not None:
        return True
    last_lift = session.execute(
        select(func.max(IdentityLock.lifted_at)).where(IdentityLock.customer_id == customer_id)
    ).scalar_one()
    since = rules_.customer_window_start(now, rules, _aware(last_lift, now))
    failures = _failures(session, customer_subject(customer_id), since)
    until = rules_.customer_lock_until(failures, now, rules)
    if until is None:
        return False
    session.add(
        IdentityLock(customer_id=customer_id, locked_at=now, locked_until=until, failures=failures)
    )
    session.flush()
    logger.warning(
        "customer %s: self-service verification locked after %d failed checks",
        customer_id,
        failures,
    )
    return True


def blocked_source(
    session: Session, sources: Sequence[str], now: datetime, rules: IdentityRules
) -> bool:
    """Whether any of these sources failed too often lately to be let try again."""
    since = rules_.source_window_start(now, rules)
    return any(
        rules_.source_blocked(_failures(session, source, since), rules) for source in sources
    )


def lift_lock(session: Session, lock: IdentityLock, agent_id: int, now: datetime) -> None:
    lock.lifted_at = now
    lock.lifted_by = agent_id


def active_locks(session: Session, now: datetime) -> list[IdentityLock]:
    return list(
        session.execute(
            select(IdentityLock)
            .where(IdentityLock.lifted_at.is_(None), IdentityLock.locked_until > now)
            .order_by(IdentityLock.locked_at.desc())
        ).scalars()
    )


# --- WeChat bindings ----------------------------------------------------------------------


def bound_openid(customer: Customer, now: datetime, rules: IdentityRules) -> str | None:
    """The customer's WeChat openid while the binding is trusted (unexpired), else None."""
    if customer.wechat_openid and rules_.binding_valid(
        _aware(customer.wechat_bound_at, now), now, rules
    ):
        return customer.wechat_openid
    return None


def customer_bound_to(
    session: Session, openid: str, now: datetime, rules: IdentityRules
) -> Customer | None:
    """The customer this openid is bound to, while the binding is trusted."""
    customer = (
        session.execute(select(Customer).where(Customer.wechat_openid == openid)).scalars().first()
    )
    return customer if customer is not None and bound_openid(customer, now, rules) else None


def bind_wechat(
    session: Session, customer_id: int, openid: str, now: datetime, rules: IdentityRules
) -> bool:
    """Binds an openid to a customer who passed the digits and the code in it. An expired
    binding (the customer's, or the openid's to someone else) gives way; a trusted one stays."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return False
    holder = (
        session.execute(select(Customer).where(Customer.wechat_openid == openid)).scalars().first()
    )
    if holder is not None and holder.id != customer_id:
        if bound_openid(holder, now, rules):
            return False
        holder.wechat_openid, holder.wechat_bound_at = None, None
        session.flush()
    if (
        customer.wechat_openid
        and customer.wechat_openid != openid
        and bound_openid(customer, now, rules)
    ):
        return False
    customer.wechat_openid, customer.wechat_bound_at = openid, now
    return True


def unbind_wechat(session: Session, openid: str) -> int | None:
    """Removes the binding of this openid; the customer it was bound to, if any."""
    customer = (
        session.execute(select(Customer).where(Customer.wechat_openid == openid)).scalars().first()
    )
    if customer is None:
        return None
    customer.wechat_openid, customer.wechat_bound_at = None, None
    return customer.id
