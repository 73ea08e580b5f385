"""The demo bank page's settings, and (in demo mode only) its bank-login tokens.

``/bank-page-config.js`` tells the page which socket servers its web chat may use
(``WIDGET_SOCKET_URLS``, space-separated; the first is used), so no link can point the bank's
page at another server. ``BANK_LOGIN_DEMO=1`` (bin/run sets it; production never does) lets
the page's "已登录网银" switch ask for a short-lived login token for one demo customer; the
real bank's login server mints these in production (overdue/bank_login.py).
"""

import json

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from loandb.models import Customer
from loandb.session import session_scope
from overdue.bank_login import mint_token
from settings import current

DEFAULT_SOCKET_URL = "http://localhost:5005"


def demo_mode() -> bool:
    return current().bank_login_demo


def socket_urls() -> list:
    return current().widget_socket_url_list or [DEFAULT_SOCKET_URL]


def bank_page_router() -> APIRouter:
    router = APIRouter()

    @router.get("/bank-page-config.js")
    def page_config() -> Response:
        settings = {"socketUrls": socket_urls(), "demoLogin": demo_mode()}
        body = f"window.BankPageSettings = {json.dumps(settings)};\n"
        return Response(
            body, media_type="application/javascript", headers={"Cache-Control": "no-store"}
        )

    @router.get("/demo/bank-login-token")
    def demo_login_token(customer: str = "") -> JSONResponse:
        if not demo_mode():
            raise HTTPException(status_code=404, detail="not found")
        with session_scope() as session:
            found = (
                session.execute(
                    select(Customer).where(
                        Customer.name == customer[:20], Customer.is_demo.is_(True)
                    )
                )
                .scalars()
                .first()
            )
            if found is None:
                raise HTTPException(status_code=404, detail="no such demo customer")
            customer_id = found.id
        return JSONResponse(
            {"token": mint_token(customer_id)}, headers={"Cache-Control": "no-store"}
        )

    return router
