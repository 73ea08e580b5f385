"""Signing in and out: /agent/login and /agent/logout.

Failed logins are counted in the database and lock a name or an address out
(console/throttle.py); a session lives on the server (console/sessions.py) and logging out
revokes it (console/login.py checks the password). Plain ``def`` handlers: the database and
scrypt run in FastAPI's threadpool, off the event loop.
"""

import logging
import secrets
import time

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from console.deps import ClientAddress, CurrentAgent, check_csrf
from console.login import check_login
from console.pages import render
from console.sessions import revoke_session
from loandb.session import session_scope
from overdue.clock import now_in_china

logger = logging.getLogger(__name__)

router = APIRouter()


@router.get("/agent/login", response_class=HTMLResponse)
async def login_page(request: Request):
    return render(request, "login.html", None, error=None)


@router.post("/agent/login")
def login(
    request: Request,
    address: ClientAddress,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    result = check_login(username[:100], password[:1000], address)
    if result["outcome"] == "locked":
        logger.info("locked-out console login for %r from %s", username[:50], address)
        return render(
            request, "login.html", None, error="登录失败次数过多，请15分钟后再试，或联系主管。"
        )
    if result["outcome"] != "ok":
        logger.info("failed console login for %r from %s", username[:50], address)
        return render(request, "login.html", None, error="用户名或密码不正确")
    request.session.clear()
    request.session.update(
        {"token": result["token"], "csrf": secrets.token_urlsafe(24), "since": time.time()}
    )
    return RedirectResponse("/agent/", status_code=303)


@router.post("/agent/logout")
def logout(request: Request, agent: CurrentAgent, csrf: str = Form("")):
    check_csrf(request, csrf)
    with session_scope() as session:
        # Revoked on the server: a copied cookie dies too.
        revoke_session(session, request.session.get("token"), now_in_china())
    request.session.clear()
    return RedirectResponse("/agent/login", status_code=303)
