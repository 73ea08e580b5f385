"""Lifting a customer's identity lock: /agent/identity-locks and its lift form
(console/identity_locks.py has the locks and the counts of failed checks)."""

import logging
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from console.deps import CurrentAgent, check_csrf
from console.identity_locks import active_lock_rows, failure_counts, lift_lock
from console.pages import render
from loandb.session import session_scope
from overdue.clock import now_in_china

logger = logging.getLogger(__name__)

router = APIRouter()


def page(
    request: Request, agent: dict[str, Any], status_code: int = 200, **context: Any
) -> HTMLResponse:
    with session_scope() as session:
        shown = {
            "locks": active_lock_rows(session),
            "counts": failure_counts(session),
            "error": None,
            "lifted": None,
            **context,
        }
    return render(request, "identity_locks.html", agent, status_code, **shown)


@router.get("/agent/identity-locks", response_class=HTMLResponse)
def locks_page(request: Request, agent: CurrentAgent):
    return page(request, agent)


@router.post("/agent/identity-locks/{lock_id}/lift", response_class=HTMLResponse)
def lift(
    request: Request,
    lock_id: int,
    agent: CurrentAgent,
    confirm: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    if confirm != "yes":
        return page(request, agent, 400, error="请先通过电话核实客户本人身份，并勾选确认")
    with session_scope() as session:
        customer_id = lift_lock(session, lock_id, agent["id"], now_in_china())
    if customer_id is None:
        return page(request, agent, 404, error="这条锁定不存在或已解除")
    logger.info("agent %s lifted the identity lock of customer %s", agent["username"], customer_id)
    return page(request, agent, lifted=customer_id)
