"""The agent console at /agent/: log in, see the queue, take over a conversation.

    uvicorn --factory console.app:create_app --port 8080

Every page and API needs a signed-in agent (console/deps.py); sessions live on the server
(console/sessions.py: revoked on logout, ended 30 minutes without a request or after an
absolute lifetime), the cookie is ``Secure`` when ``CONSOLE_HTTPS`` is set; every form carries
a CSRF token; failed logins are counted in the database and lock a name or an address out
(console/throttle.py). A ticket is worked by one agent at a time (console/claims.py). Logins,
lockouts, notes, views and reveals of full ID or phone numbers are written to the audit log.
The routes are in console/routes/, one module per area.
"""

import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from console.client_address import trusted_proxies
from console.deps import LoginRequired
from console.pages import templates
from console.routes import (
    auth,
    bank_page,
    canned_replies,
    dashboard,
    export,
    history,
    identity_locks,
    privacy,
    reviews,
    tickets,
)
from gateways.rasa_http import RasaAPI
from loandb.migrate import upgrade as create_schema
from settings import current

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_SECONDS = 30 * 60
ROUTERS = (
    bank_page.router,  # the demo bank page, the widget's files and settings, demo login tokens
    auth.router,  # login and logout
    tickets.router,  # the queue and a ticket's work
    privacy.router,  # erasure on request, for supervisors
    identity_locks.router,  # lift a customer's identity lock
    history.router,  # every ticket, searchable; CSV export
    export.router,  # a transcript as PDF
    reviews.router,  # supervisors review resolved tickets
    dashboard.router,  # the dashboard and the supervisor panel
    canned_replies.router,  # 常用语 for the reply box
)


async def to_login(request: Request, exc: LoginRequired) -> Response:
    if request.url.path.startswith("/agent/api/"):
        return JSONResponse({"error": "login required"}, status_code=401)
    return RedirectResponse("/agent/login", status_code=303)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """Another agent's ticket as a page of its own; every other refusal as JSON."""
    if exc.status_code == 409 and not request.url.path.startswith("/agent/api/"):
        return HTMLResponse(
            templates.get_template("held.html").render(detail=exc.detail), status_code=409
        )
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def create_app(rasa: RasaAPI | None = None, secret_key: str | None = None) -> FastAPI:
    app = FastAPI(title="坐席工作台", docs_url=None, redoc_url=None, openapi_url=None)
    secret = secret_key or current().console_secret_key
    if not secret:
        logger.warning("CONSOLE_SECRET_KEY is not set: sessions end when the console restarts")
        secret = secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        max_age=SESSION_SECONDS,
        same_site="strict",
        session_cookie="agent_session",
        # Secure when agents reach the console over HTTPS (CONSOLE_HTTPS=1, e.g. behind the
        # bank's TLS proxy).
        https_only=current().console_https,
    )
    # What the routes' dependencies hand out (console/deps.py).
    app.state.rasa = rasa or RasaAPI()
    app.state.trusted_proxies = trusted_proxies()
    app.mount("/agent/static", StaticFiles(directory=HERE / "static"), name="static")
    create_schema()
    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(HTTPException, http_error)
    for router in ROUTERS:
        app.include_router(router)
    return app
