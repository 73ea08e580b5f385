"""Erasure on request, for supervisors: /agent/privacy and /agent/privacy/erase
(console/privacy.py has what the page shows; ``loandb.erasure`` does the erasing)."""

import logging
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from console.deps import CurrentAgent, check_csrf
from console.pages import render
from console.privacy import COUNT_WORDS, erasure_preview, is_supervisor, recent_erasures
from loandb.erasure import UnknownCustomer, erase_customer

logger = logging.getLogger(__name__)

router = APIRouter()


def require_supervisor(agent: dict[str, Any]) -> None:
    if not is_supervisor(agent["id"]):
        raise HTTPException(status_code=403, detail="only a supervisor may erase a customer's data")


def page(
    request: Request, agent: dict[str, Any], status_code: int = 200, **context: Any
) -> HTMLResponse:
    shown = {
        "erasures": recent_erasures(),
        "words": COUNT_WORDS,
        "outcome": None,
        "error": None,
        "preview": None,
        **context,
    }
    return render(request, "privacy.html", agent, status_code, **shown)


@router.get("/agent/privacy", response_class=HTMLResponse)
def erasure_page(request: Request, agent: CurrentAgent):
    require_supervisor(agent)
    return page(request, agent)


@router.post("/agent/privacy/erase", response_class=HTMLResponse)
def erase(
    request: Request,
    agent: CurrentAgent,
    customer_id: str = Form(""),
    confirm: str = Form(""),
    csrf: str = Form(""),
):
    require_supervisor(agent)
    check_csrf(request, csrf)
    number = customer_id.strip()
    if not (number.isascii() and number.isdigit()) or len(number) > 12:  # "²" is a digit to isdigit
        return page(request, agent, 400, error="请输入客户编号（数字）")
    if confirm != "yes":  # first the supervisor sees whom they are about to erase
        preview = erasure_preview(int(number))
        if not preview:
            return page(request, agent, 404, error=f"没有编号为 {number} 的客户")
        return page(request, agent, preview=preview, error="请核对客户后勾选确认：删除后无法恢复")
    try:
        outcome = erase_customer(int(number), f"agent:{agent['username']}", agent_id=agent["id"])
    except UnknownCustomer:
        return page(request, agent, 404, error=f"没有编号为 {number} 的客户")
    except Exception:
        # Each step can be run again: what is done stays done, the rest is done next time.
        logger.exception("erasing customer %s failed", number)
        return page(request, agent, 503, error="删除未能全部完成（系统暂时不可用），请稍后再试一次")
    return page(request, agent, outcome=outcome)
