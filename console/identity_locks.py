"""Customers whose self-service identity check is locked: what /agent/identity-locks shows
(console/routes/identity_locks.py) and the lifting of a lock.

After repeated failed checks (``identity:`` in policy.yml) a customer can no longer verify
with the assistant; an agent who has verified them by phone lifts the lock there. Every
lift is in the audit log (``lift_identity_lock``). The page also shows the failed checks of
the last hour and day, so a spike across customers is seen.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from loandb import identity_store as store
from loandb.models import AuditEntry, Customer, IdentityLock
from overdue.bank_rules import load_bank_rules
from overdue.clock import as_china, now_in_china
from overdue.identity_rules import overall_alert
from overdue.masking import mask_tail

LIFT_ACTION = "lift_identity_lock"


def lock_summary(session: Session, customer_id: int) -> dict[str, Any] | None:
    """The customer's active lock, for the ticket's customer panel; None when not locked."""
    lock = store.active_lock(session, customer_id, now_in_china())
    if lock is None:
        return None
    return {
        "id": lock.id,
        "failures": lock.failures,
        "locked_at": as_china(lock.locked_at).strftime("%Y-%m-%d %H:%M"),
        "locked_until": as_china(lock.locked_until).strftime("%Y-%m-%d %H:%M"),
    }


def failure_counts(session: Session) -> dict[str, Any]:
    now = now_in_china()
    last_hour = store.overall_failures(session, now - timedelta(hours=1))
    return {
        "last_hour": last_hour,
        "last_day": store.overall_failures(session, now - timedelta(days=1)),
        "alert": overall_alert(last_hour, load_bank_rules().identity),
    }


def active_lock_rows(session: Session) -> list[dict[str, Any]]:
    """Every active lock with its customer, numbers masked."""
    found = []
    for lock in store.active_locks(session, now_in_china()):
        customer = session.get(Customer, lock.customer_id)
        found.append(
            {
                "id": lock.id,
                "customer_id": lock.customer_id,
                "name": customer.name if customer else "",
                "phone": mask_tail(customer.phone) if customer else "",
                "failures": lock.failures,
                "locked_at": as_china(lock.locked_at).strftime("%Y-%m-%d %H:%M"),
                "locked_until": as_china(lock.locked_until).strftime("%Y-%m-%d %H:%M"),
            }
        )
    return found


def lift_lock(session: Session, lock_id: int, agent_id: int, now: datetime) -> int | None:
    """Lifts a live lock, audited; its customer's id, or None when there is no such live lock."""
    lock = session.get(IdentityLock, lock_id)
    if lock is None or lock.lifted_at is not None:
        return None
    store.lift_lock(session, lock, agent_id, now)
    session.add(
        AuditEntry(agent_id=agent_id, action=LIFT_ACTION, customer_id=lock.customer_id, at=now)
    )
    return lock.customer_id
