"""Erasure on request, for supervisors: /agent/privacy.

A supervisor (``Agent.role == "supervisor"``) enters the customer's number, checks whom it
names (masked), confirms, and sees what was anonymised and what the law makes the bank keep (``loandb.erasure``). Agents
without the role get a 403; every erasure is in the audit log and in ``erasures``.
Registered in console/app.py with ``app.include_router(privacy_router(current_agent, check_csrf))``.
"""

import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from loandb.erasure import UnknownCustomer, erase_customer
from loandb.models import Agent, Customer, Erasure
from loandb.session import session_scope
from overdue.clock import as_china
from overdue.masking import mask_tail

logger = logging.getLogger(__name__)

SUPERVISOR = "supervisor"
COUNT_WORDS = {
    "contact_details": "联系方式（手机号）",
    "wechat_binding": "微信绑定",
    "conversations": "对话",
    "conversation_events": "对话记录条目",
    "tickets": "人工服务工单（摘要、对话编号）",
    "ticket_notes": "工单备注",
    "ticket_transcripts": "工单留存的对话记录",
    "reminders": "提醒记录",
    "conversation_links": "对话与客户的关联",
    "request_reasons": "申请中的客户陈述",
    "sms_outbox_lines": "短信发送记录",
    "satisfaction_ratings": "满意度评价",
    "one_time_codes": "短信验证码记录",
    "identity_failures": "身份核验失败记录",
    "identity_locks": "核验锁定记录",
}


def privacy_router(
    current_agent: Callable[..., Any], check_csrf: Callable[[Request, str], None]
) -> APIRouter:
    """The routes, on the console's own sign-in and form-token checks (console/app.py)."""
    router = APIRouter()
    templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

    def require_supervisor(agent: dict[str, Any]) -> None:
        with session_scope() as session:
            role = session.execute(select(Agent.role).where(Agent.id == agent["id"])).scalar()
        if role != SUPERVISOR:
            raise HTTPException(
                status_code=403, detail="only a supervisor may erase a customer's data"
            )

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return request.session["csrf"]

    def recent_erasures() -> list[dict[str, Any]]:
        with session_scope() as session:
            rows = (
                session.execute(select(Erasure).order_by(Erasure.id.desc()).limit(20))
                .scalars()
                .all()
            )
            return [
                {
                    "customer_id": row.customer_id,
                    "by": row.requested_by,
                    "at": as_china(row.at).strftime("%Y-%m-%d %H:%M"),
                    "anonymised": json.loads(row.outcome).get("anonymised") or {},
                }
                for row in rows
            ]

    def page(
        request: Request, agent: dict[str, Any], status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "privacy.html",
            {
                "agent": agent,
                "csrf": csrf_token(request),
                "erasures": recent_erasures(),
                "words": COUNT_WORDS,
                "outcome": None,
                "error": None,
                "preview": None,
                **context,
            },
            status_code=status_code,
        )

    # current_agent as a dependency: signed in (or off to the login page) as for every console page.
    @router.get("/agent/privacy", response_class=HTMLResponse)
    def erasure_page(request: Request, agent=Depends(current_agent)):
        require_supervisor(agent)
        return page(request, agent)

    @router.post("/agent/privacy/erase", response_class=HTMLResponse)
    def erase(
        request: Request,
        customer_id: str = Form(""),
        confirm: str = Form(""),
        csrf: str = Form(""),
        agent=Depends(current_agent),
    ):
        require_supervisor(agent)
        check_csrf(request, csrf)
        number = customer_id.strip()
        if (
            not (number.isascii() and number.isdigit()) or len(number) > 12
        ):  # "²" is a digit to isdigit
            return page(request, agent, 400, error="请输入客户编号（数字）")
        if confirm != "yes":  # first the supervisor sees whom they are about to erase
            with session_scope() as session:
                customer = session.get(Customer, int(number))
                preview = customer and {
                    "id": customer.id,
                    "name": customer.name[:1] + "*" * (len(customer.name) - 1),
                    "id_tail": mask_tail(customer.id_number),
                }
            if not preview:
                return page(request, agent, 404, error=f"没有编号为 {number} 的客户")
            return page(
                request, agent, preview=preview, error="请核对客户后勾选确认：删除后无法恢复"
            )
        try:
            outcome = erase_customer(
                int(number), f"agent:{agent['username']}", agent_id=agent["id"]
            )
        except UnknownCustomer:
            return page(request, agent, 404, error=f"没有编号为 {number} 的客户")
        except Exception:
            # Each step can be run again: what is done stays done, the rest is done next time.
            logger.exception("erasing customer %s failed", number)
            return page(
                request, agent, 503, error="删除未能全部完成（系统暂时不可用），请稍后再试一次"
            )
        return page(request, agent, outcome=outcome)

    return router
