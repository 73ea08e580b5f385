"""The agent console at /agent/: log in, see the queue, take over a conversation.

    uvicorn --factory console.app:create_app --port 8080

Every page and API needs a signed-in agent; sessions live on the server (console/sessions.py:
revoked on logout, ended 30 minutes without a request or after an absolute lifetime), the
cookie is ``Secure`` when ``CONSOLE_HTTPS`` is set; every form carries a CSRF token; failed
logins are counted in the database and lock a name or an address out (console/throttle.py).
A ticket is worked by one agent at a time (console/claims.py). Logins, lockouts, notes,
views and reveals of full ID or phone numbers are written to the audit log.
"""

import asyncio
import hmac
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware

from console.bank_page import bank_page_router
from console.canned_replies import canned_replies_router
from console.claims import HeldByAnother, claim, holder_name, take_over
from console.client_address import client_address, trusted_proxies
from console.dashboard import dashboard_router
from console.delivery import deliver
from console.export_pdf import export_router
from console.history import history_router
from console.identity_locks import identity_locks_router
from console.privacy import privacy_router
from console.reviews import reviews_router, ticket_review
from console.satisfaction import ticket_satisfaction
from console.sessions import revoke_session, session_agent_id, start_session
from console.throttle import forget_failures, locked_subject, login_subjects, record_failure
from console.tickets import (
    REASON_WORDS,
    STATUS_WORDS,
    audit,
    customer_panel,
    queue,
    ticket_summary,
    transcript,
)
from console.transcripts import keep_from_rasa, kept_lines
from gateways.rasa_http import RasaAPI
from loandb.migrate import upgrade as create_schema
from loandb.models import Agent, Customer, HandoffTicket, TicketNote
from loandb.session import session_scope
from overdue.clock import now_in_china
from overdue.passwords import verify_password_or_dummy
from settings import current

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
WIDGET = HERE.parent / "widget"
# The customer page and the widget's files: named one by one, so nothing else is served.
WIDGET_FILES = {
    "widget.js": WIDGET / "widget.js",
    "widget.css": WIDGET / "widget.css",
    "avatar.svg": WIDGET / "avatar.svg",
    "vendor/socket.io.min.js": WIDGET
    / "node_modules"
    / "socket.io-client"
    / "dist"
    / "socket.io.min.js",
}
SESSION_SECONDS = 30 * 60
MAX_REPLY_CHARS = 2000


class LoginRequired(Exception):
    pass


def create_app(rasa: RasaAPI | None = None, secret_key: str | None = None) -> FastAPI:
    app = FastAPI(title="坐席工作台", docs_url=None, redoc_url=None, openapi_url=None)
    secret = secret_key or current().console_secret_key
    if not secret:
        logger.warning("CONSOLE_SECRET_KEY is not set: sessions end when the console restarts")
        secret = secrets.token_urlsafe(32)
    # Secure when agents reach the console over HTTPS (CONSOLE_HTTPS=1, e.g. behind the bank's TLS proxy).
    https_only = current().console_https
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        max_age=SESSION_SECONDS,
        same_site="strict",
        session_cookie="agent_session",
        https_only=https_only,
    )
    proxies = trusted_proxies()
    app.mount("/agent/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    rasa_api = rasa or RasaAPI()
    create_schema()

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        if request.url.path.startswith("/agent/api/"):
            return JSONResponse({"error": "login required"}, status_code=401)
        return RedirectResponse("/agent/login", status_code=303)

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return request.session["csrf"]

    def check_csrf(request: Request, token: str) -> None:
        if not hmac.compare_digest(token or "", request.session.get("csrf") or "-"):
            raise HTTPException(status_code=403, detail="invalid form token")

    def current_agent(request: Request) -> dict[str, Any]:
        token = request.session.get("token")
        if not token:
            raise LoginRequired()
        with session_scope() as session:
            agent_id = session_agent_id(session, token, now_in_china())
            agent = session.get(Agent, agent_id) if agent_id else None
            if agent is None:  # revoked (logged out elsewhere), expired, or never valid
                request.session.clear()
                raise LoginRequired()
            agent.last_seen_at = now_in_china()  # presence: an agent is available
            return {
                "id": agent.id,
                "name": agent.display_name,
                "username": agent.username,
                "role": agent.role,
            }

    def page(
        request: Request, name: str, agent: dict[str, Any] | None, **context: Any
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {"agent": agent, "csrf": csrf_token(request), **context}
        )

    @app.get("/", response_class=HTMLResponse)
    async def bank_page():
        return FileResponse(WIDGET / "index.html")

    @app.get("/widget/{name:path}")
    async def widget_file(name: str):
        path = WIDGET_FILES.get(name)
        if path is None or not path.exists():
            raise HTTPException(status_code=404, detail="not found")
        return FileResponse(path)

    @app.get("/agent/login", response_class=HTMLResponse)
    async def login_page(request: Request):
        return page(request, "login.html", None, error=None)

    def check_login(username: str, password: str, address: str) -> dict[str, Any]:
        """The login's outcome (blocking work: the database and scrypt, run off the event loop)."""
        now = now_in_china()
        subjects = login_subjects(username, address)
        with session_scope() as session:
            agent = (
                session.execute(select(Agent).where(Agent.username == username)).scalars().first()
            )
            if locked_subject(session, subjects, now):
                verify_password_or_dummy(password, None)  # the same time as any other answer
                return {"outcome": "locked"}
            if not verify_password_or_dummy(password, agent.password_hash if agent else None):
                locked = record_failure(session, subjects, now)
                if agent is not None:
                    audit(session, agent.id, "login_failed")
                    if locked:
                        audit(session, agent.id, "login_locked")
                if locked:
                    logger.warning("console logins locked for %s for 15 minutes", locked[:60])
                return {"outcome": "failed"}
            forget_failures(session, subjects[0])
            agent.last_seen_at = now  # signed in: available for handoffs
            audit(session, agent.id, "login")
            return {"outcome": "ok", "token": start_session(session, agent.id, address, now)}

    @app.post("/agent/login")
    async def login(
        request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")
    ):
        check_csrf(request, csrf)
        address = client_address(request, proxies)
        result = await asyncio.to_thread(check_login, username[:100], password[:1000], address)
        if result["outcome"] == "locked":
            logger.info("locked-out console login for %r from %s", username[:50], address)
            return page(
                request, "login.html", None, error="登录失败次数过多，请15分钟后再试，或联系主管。"
            )
        if result["outcome"] != "ok":
            logger.info("failed console login for %r from %s", username[:50], address)
            return page(request, "login.html", None, error="用户名或密码不正确")
        request.session.clear()
        request.session.update(
            {"token": result["token"], "csrf": secrets.token_urlsafe(24), "since": time.time()}
        )
        return RedirectResponse("/agent/", status_code=303)

    @app.post("/agent/logout")
    async def logout(request: Request, csrf: str = Form(""), agent=Depends(current_agent)):
        check_csrf(request, csrf)
        with session_scope() as session:
            revoke_session(
                session, request.session.get("token"), now_in_china()
            )  # a copied cookie dies too
        request.session.clear()
        return RedirectResponse("/agent/login", status_code=303)

    @app.get("/agent/", response_class=HTMLResponse)
    async def queue_page(request: Request, agent=Depends(current_agent)):
        with session_scope() as session:
            return page(request, "queue.html", agent, tickets=queue(session))

    @app.get("/agent/api/tickets")
    async def queue_api(agent=Depends(current_agent)):
        with session_scope() as session:
            return {"tickets": queue(session)}

    def load_ticket(session, ticket_id: int) -> HandoffTicket:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        return ticket

    def claimed_ticket(session, ticket_id: int, agent: dict[str, Any]) -> HandoffTicket:
        """The ticket, now held by ``agent``; 409 when another agent holds it."""
        ticket = load_ticket(session, ticket_id)
        try:
            if claim(session, ticket, agent, now_in_china()):
                audit(session, agent["id"], "claim", ticket)
        except HeldByAnother as held:
            raise HTTPException(status_code=409, detail=f"该会话正由 {held.holder} 处理")
        return ticket

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 409 and not request.url.path.startswith("/agent/api/"):
            return HTMLResponse(
                templates.get_template("held.html").render(detail=exc.detail), status_code=409
            )
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.post("/agent/tickets/{ticket_id}/claim")
    async def claim_ticket(
        request: Request, ticket_id: int, csrf: str = Form(""), agent=Depends(current_agent)
    ):
        check_csrf(request, csrf)
        with session_scope() as session:
            claimed_ticket(session, ticket_id, agent)
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    @app.post("/agent/tickets/{ticket_id}/take-over")
    async def take_over_ticket(
        request: Request, ticket_id: int, csrf: str = Form(""), agent=Depends(current_agent)
    ):
        check_csrf(request, csrf)
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            if not take_over(session, ticket, agent, now_in_china()):
                raise HTTPException(status_code=403, detail="只有主管可以接管其他坐席的会话")
            audit(session, agent["id"], "take_over", ticket)
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    @app.get("/agent/tickets/{ticket_id}", response_class=HTMLResponse)
    async def ticket_page(
        request: Request, ticket_id: int, reveal: str | None = None, agent=Depends(current_agent)
    ):
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            conversation_id = ticket.conversation_id
            customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            panel = customer_panel(session, customer) if customer else None
            audit(session, agent["id"], "view_ticket", ticket)
            info = {
                "id": ticket.id,
                "reason": REASON_WORDS.get(ticket.reason, ticket.reason),
                "priority": ticket.priority,
                "status": ticket.status,
                "status_words": STATUS_WORDS[ticket.status],
                "channel": ticket.channel,
                "holder": holder_name(session, ticket) or "",
                "mine": ticket.claimed_by == agent["id"],
                "conversation_id": conversation_id,
                "summary": ticket_summary(ticket),
                "notes": [
                    {"text": n.text, "at": n.created_at.strftime("%m-%d %H:%M")}
                    for n in ticket.notes
                ],
            }
        # A resolved ticket shows the transcript the bank kept (console/transcripts.py), read-only.
        lines = (
            await asyncio.to_thread(kept_lines, ticket_id) if info["status"] == "resolved" else None
        )
        if lines is None:
            try:
                lines = transcript(await rasa_api.tracker(conversation_id))
            except Exception:
                logger.exception("could not read conversation %s from Rasa", conversation_id)
                lines = None
        review = await asyncio.to_thread(ticket_review, ticket_id)
        satisfaction = await asyncio.to_thread(ticket_satisfaction, ticket_id)
        return page(
            request,
            "ticket.html",
            agent,
            ticket=info,
            customer=panel,
            transcript=lines,
            review=review,
            satisfaction=satisfaction,
        )

    @app.post("/agent/tickets/{ticket_id}/reveal")
    async def reveal(
        request: Request,
        ticket_id: int,
        field: str = Form(""),
        csrf: str = Form(""),
        agent=Depends(current_agent),
    ):
        check_csrf(request, csrf)
        if field not in ("id", "phone"):
            raise HTTPException(status_code=400, detail="unknown field")
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            if not ticket.customer_id:
                raise HTTPException(status_code=404, detail="no verified customer")
            audit(session, agent["id"], f"reveal_{field}", ticket)
            value = customer_panel(session, session.get(Customer, ticket.customer_id), reveal=field)
        return JSONResponse(
            {"field": field, "value": value["id_number" if field == "id" else "phone"]}
        )

    @app.post("/agent/tickets/{ticket_id}/reply")
    async def reply(
        request: Request,
        ticket_id: int,
        text: str = Form(""),
        csrf: str = Form(""),
        agent=Depends(current_agent),
    ):
        check_csrf(request, csrf)
        text = text.strip()[:MAX_REPLY_CHARS]
        if text:
            with session_scope() as session:
                ticket = claimed_ticket(session, ticket_id, agent)
                conversation_id, channel = ticket.conversation_id, ticket.channel
                audit(session, agent["id"], "reply", ticket)
            if channel == "socketio":
                # Live on the customer's page: only the Rasa server holds the socket.
                await rasa_api.append(
                    conversation_id,
                    [
                        {
                            "event": "slot",
                            "name": "agent_message",
                            "value": text,
                            "timestamp": time.time(),
                        },
                        {
                            "event": "slot",
                            "name": "agent_name",
                            "value": agent["name"],
                            "timestamp": time.time(),
                        },
                    ],
                )
                await rasa_api.run_action(conversation_id, "action_relay_agent_message")
            else:
                await rasa_api.append(
                    conversation_id,
                    [
                        {
                            "event": "bot",
                            "text": text,
                            "timestamp": time.time(),
                            "metadata": {"agent": agent["name"]},
                        }
                    ],
                )
                await deliver(channel, conversation_id, text)
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    @app.post("/agent/tickets/{ticket_id}/notes")
    async def add_note(
        request: Request,
        ticket_id: int,
        text: str = Form(""),
        csrf: str = Form(""),
        agent=Depends(current_agent),
    ):
        check_csrf(request, csrf)
        if text.strip():
            with session_scope() as session:
                ticket = claimed_ticket(session, ticket_id, agent)
                session.add(
                    TicketNote(
                        ticket_id=ticket.id,
                        agent_id=agent["id"],
                        text=text.strip()[:2000],
                        created_at=now_in_china(),
                    )
                )
                audit(session, agent["id"], "note", ticket)
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    @app.post("/agent/tickets/{ticket_id}/resolve")
    async def resolve(
        request: Request, ticket_id: int, csrf: str = Form(""), agent=Depends(current_agent)
    ):
        check_csrf(request, csrf)
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            if ticket.status == "resolved":
                return RedirectResponse("/agent/", status_code=303)
            ticket = claimed_ticket(session, ticket_id, agent)
            ticket.status, ticket.resolved_at, ticket.agent_id = (
                "resolved",
                now_in_china(),
                agent["id"],
            )
            conversation_id = ticket.conversation_id
            audit(session, agent["id"], "resolve", ticket)
        # The bot takes over again, saying so on the customer's own channel; slots
        # (verification included) are kept.
        await rasa_api.append(conversation_id, [{"event": "resume", "timestamp": time.time()}])
        await rasa_api.run_action(conversation_id, "action_handback")
        # As after any bot turn, so the next message is understood as usual.
        await rasa_api.append(
            conversation_id,
            [{"event": "action", "name": "action_listen", "timestamp": time.time()}],
        )
        await keep_from_rasa(
            rasa_api, ticket_id, conversation_id
        )  # the bank's copy, hand-back included
        return RedirectResponse("/agent/", status_code=303)

    app.include_router(
        privacy_router(current_agent, check_csrf)
    )  # erasure on request, for supervisors
    app.include_router(
        identity_locks_router(current_agent, check_csrf)
    )  # lift a customer's identity lock
    app.include_router(
        history_router(current_agent, check_csrf)
    )  # every ticket, searchable; CSV export
    app.include_router(export_router(current_agent, rasa_api))  # a transcript as PDF
    app.include_router(
        reviews_router(current_agent, check_csrf)
    )  # supervisors review resolved tickets
    app.include_router(dashboard_router(current_agent))  # the dashboard and the supervisor panel
    app.include_router(canned_replies_router(current_agent))  # 常用语 for the reply box
    app.include_router(bank_page_router())  # the demo bank page's settings, and demo login tokens
    return app
