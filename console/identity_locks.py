"""Customers whose self-service identity check is locked: /agent/identity-locks.

After repeated failed checks (``identity:`` in policy.yml) a customer can no longer verify
with the assistant; an agent who has verified them by phone lifts the lock here. Every
lift is in the audit log (``lift_identity_lock``). The page also shows the failed checks of
the last hour and day, so a spike across customers is seen. Registered in console/app.py
with ``app.include_router(identity_locks_router(current_agent, check_csrf))``.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from loandb import identity_store as store
from loandb.models import AuditEntry, Customer, IdentityLock
from loandb.session import session_scope
from overdue.bank_rules import load_bank_rules
from overdue.clock import as_china, now_in_china
from overdue.identity_rules import overall_alert
from overdue.masking import mask_tail

logger = logging.getLogger(__name__)

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


def identity_locks_router(
    current_agent: Callable[..., Any], check_csrf: Callable[[Request, str], None]
) -> APIRouter:
    """The routes, on the console's own sign-in and form-token checks (console/app.py)."""
    router = APIRouter()
    templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return request.session["csrf"]

    def rows(session: Session) -> list[dict[str, Any]]:
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

    def page(
        request: Request, agent: dict[str, Any], status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        with session_scope() as session:
            values = {
                "agent": agent,
                "csrf": csrf_token(request),
                "locks": rows(session),
                "counts": failure_counts(session),
                "error": None,
                "lifted": None,
                **context,
            }
        return templates.TemplateResponse(
            request, "identity_locks.html", values, status_code=status_code
        )

    @router.get("/agent/identity-locks", response_class=HTMLResponse)
    def locks_page(request: Request, agent=Depends(current_agent)):
        return page(request, agent)

    @router.post("/agent/identity-locks/{lock_id}/lift", response_class=HTMLResponse)
    def lift(
        request: Request,
        lock_id: int,
        confirm: str = Form(""),
        csrf: str = Form(""),
        agent=Depends(current_agent),
    ):
        check_csrf(request, csrf)
        if confirm != "yes":
            return page(request, agent, 400, error="请先通过电话核实客户本人身份，并勾选确认")
        now = now_in_china()
        with session_scope() as session:
            lock = session.get(IdentityLock, lock_id)
            if lock is None or lock.lifted_at is not None:
                return page(request, agent, 404, error="这条锁定不存在或已解除")
            store.lift_lock(session, lock, agent["id"], now)
            session.add(
                AuditEntry(
                    agent_id=agent["id"], action=LIFT_ACTION, customer_id=lock.customer_id, at=now
                )
            )
            customer_id = lock.customer_id
        logger.info(
            "agent %s lifted the identity lock of customer %s", agent["username"], customer_id
        )
        return page(request, agent, lifted=customer_id)

    return router
