"""The agent console at /agent/: log in, see the queue, take over a conversation.

    uvicorn --factory console.app:create_app --port 8080

Every page and API needs a signed-in agent; sessions expire after 30 minutes without a
request; every form carries a CSRF token; failed logins are slowed down. Agents'
views and reveals of full ID or phone numbers are written to the audit log.
"""
import asyncio
import hmac
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any, Dict, Optional

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware

from actions.clock import now_in_china, today_in_china
from console.dashboard import dashboard
from console.delivery import deliver
from console.passwords import verify_password
from console.rasa_api import RasaAPI
from console.throttle import LoginThrottle
from console.tickets import REASON_WORDS, STATUS_WORDS, audit, customer_panel, queue, ticket_summary, transcript
from loandb.models import Agent, Customer, HandoffTicket, TicketNote
from loandb.seed import create_schema
from loandb.session import session_scope

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
WIDGET = HERE.parent / "widget"
# The customer page and the widget's files: named one by one, so nothing else is served.
WIDGET_FILES = {
    "widget.js": WIDGET / "widget.js",
    "widget.css": WIDGET / "widget.css",
    "avatar.svg": WIDGET / "avatar.svg",
    "vendor/socket.io.min.js": WIDGET / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
SESSION_SECONDS = 30 * 60
MAX_REPLY_CHARS = 2000


class LoginRequired(Exception):
    pass


def create_app(rasa: Optional[RasaAPI] = None, secret_key: Optional[str] = None) -> FastAPI:
    app = FastAPI(title="坐席工作台", docs_url=None, redoc_url=None, openapi_url=None)
    secret = secret_key or os.environ.get("CONSOLE_SECRET_KEY")
    if not secret:
        logger.warning("CONSOLE_SECRET_KEY is not set: sessions end when the console restarts")
        secret = secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=secret, max_age=SESSION_SECONDS, same_site="strict",
                       session_cookie="agent_session")
    app.mount("/agent/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    throttle = LoginThrottle()
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

    def current_agent(request: Request) -> Dict[str, Any]:
        agent_id = request.session.get("agent_id")
        if not agent_id:
            raise LoginRequired()
        with session_scope() as session:
            agent = session.get(Agent, agent_id)
            if agent is None:
                request.session.clear()
                raise LoginRequired()
            agent.last_seen_at = now_in_china()  # presence: an agent is available
            return {"id": agent.id, "name": agent.display_name, "username": agent.username}

    def page(request: Request, name: str, agent: Optional[Dict[str, Any]], **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"agent": agent, "csrf": csrf_token(request), **context})

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

    @app.post("/agent/login")
    async def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")):
        check_csrf(request, csrf)
        address = request.client.host if request.client else "-"
        keys = (f"user:{username}", f"ip:{address}")
        await asyncio.sleep(throttle.delay(*keys))
        with session_scope() as session:
            agent = session.execute(select(Agent).where(Agent.username == username)).scalars().first()
            ok = agent is not None and verify_password(password, agent.password_hash)
            agent_id = agent.id if ok else None
            if ok:
                agent.last_seen_at = now_in_china()  # signed in: available for handoffs
        if not ok:
            throttle.failed(*keys)
            logger.info("failed console login for %r from %s", username[:50], address)
            return page(request, "login.html", None, error="用户名或密码不正确")
        throttle.succeeded(*keys)
        request.session.clear()
        request.session.update({"agent_id": agent_id, "csrf": secrets.token_urlsafe(24), "since": time.time()})
        return RedirectResponse("/agent/", status_code=303)

    @app.post("/agent/logout")
    async def logout(request: Request, csrf: str = Form(""), agent=Depends(current_agent)):
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/agent/login", status_code=303)

    @app.get("/agent/", response_class=HTMLResponse)
    async def queue_page(request: Request, agent=Depends(current_agent)):
        with session_scope() as session:
            return page(request, "queue.html", agent, tickets=queue(session))

    @app.get("/agent/dashboard", response_class=HTMLResponse)
    async def dashboard_page(request: Request, agent=Depends(current_agent)):
        with session_scope() as session:
            figures = dashboard(session, today_in_china())
        return page(request, "dashboard.html", agent, figures=figures, reasons=REASON_WORDS)

    @app.get("/agent/api/tickets")
    async def queue_api(agent=Depends(current_agent)):
        with session_scope() as session:
            return {"tickets": queue(session)}

    def load_ticket(session, ticket_id: int) -> HandoffTicket:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        return ticket

    @app.get("/agent/tickets/{ticket_id}", response_class=HTMLResponse)
    async def ticket_page(request: Request, ticket_id: int, reveal: Optional[str] = None,
                          agent=Depends(current_agent)):
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            conversation_id = ticket.conversation_id
            customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            panel = customer_panel(session, customer) if customer else None
            audit(session, agent["id"], "view_ticket", ticket)
            info = {"id": ticket.id, "reason": REASON_WORDS.get(ticket.reason, ticket.reason),
                    "priority": ticket.priority, "status": ticket.status, "status_words": STATUS_WORDS[ticket.status],
                    "channel": ticket.channel,
                    "conversation_id": conversation_id, "summary": ticket_summary(ticket),
                    "notes": [{"text": n.text, "at": n.created_at.strftime("%m-%d %H:%M")} for n in ticket.notes]}
        try:
            lines = transcript(await rasa_api.tracker(conversation_id))
        except Exception:
            logger.exception("could not read conversation %s from Rasa", conversation_id)
            lines = None
        return page(request, "ticket.html", agent, ticket=info, customer=panel, transcript=lines)

    @app.post("/agent/tickets/{ticket_id}/reveal")
    async def reveal(request: Request, ticket_id: int, field: str = Form(""), csrf: str = Form(""),
                     agent=Depends(current_agent)):
        check_csrf(request, csrf)
        if field not in ("id", "phone"):
            raise HTTPException(status_code=400, detail="unknown field")
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            if not ticket.customer_id:
                raise HTTPException(status_code=404, detail="no verified customer")
            audit(session, agent["id"], f"reveal_{field}", ticket)
            value = customer_panel(session, session.get(Customer, ticket.customer_id), reveal=field)
        return JSONResponse({"field": field, "value": value["id_number" if field == "id" else "phone"]})

    @app.post("/agent/tickets/{ticket_id}/reply")
    async def reply(request: Request, ticket_id: int, text: str = Form(""), csrf: str = Form(""),
                    agent=Depends(current_agent)):
        check_csrf(request, csrf)
        text = text.strip()[:MAX_REPLY_CHARS]
        if text:
            with session_scope() as session:
                ticket = load_ticket(session, ticket_id)
                conversation_id, channel = ticket.conversation_id, ticket.channel
                audit(session, agent["id"], "reply", ticket)
            if channel == "socketio":
                # Live on the customer's page: only the Rasa server holds the socket.
                await rasa_api.append(conversation_id, [
                    {"event": "slot", "name": "agent_message", "value": text, "timestamp": time.time()},
                    {"event": "slot", "name": "agent_name", "value": agent["name"], "timestamp": time.time()},
                ])
                await rasa_api.run_action(conversation_id, "action_relay_agent_message")
            else:
                await rasa_api.append(conversation_id, [
                    {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {"agent": agent["name"]}}
                ])
                await deliver(channel, conversation_id, text)
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    @app.post("/agent/tickets/{ticket_id}/notes")
    async def add_note(request: Request, ticket_id: int, text: str = Form(""), csrf: str = Form(""),
                       agent=Depends(current_agent)):
        check_csrf(request, csrf)
        if text.strip():
            with session_scope() as session:
                ticket = load_ticket(session, ticket_id)
                session.add(TicketNote(ticket_id=ticket.id, agent_id=agent["id"], text=text.strip()[:2000],
                                       created_at=now_in_china()))
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    @app.post("/agent/tickets/{ticket_id}/resolve")
    async def resolve(request: Request, ticket_id: int, csrf: str = Form(""), agent=Depends(current_agent)):
        check_csrf(request, csrf)
        with session_scope() as session:
            ticket = load_ticket(session, ticket_id)
            if ticket.status == "resolved":
                return RedirectResponse("/agent/", status_code=303)
            ticket.status, ticket.resolved_at, ticket.agent_id = "resolved", now_in_china(), agent["id"]
            conversation_id = ticket.conversation_id
            audit(session, agent["id"], "resolve", ticket)
        # The bot takes over again, saying so on the customer's own channel; slots
        # (verification included) are kept.
        await rasa_api.append(conversation_id, [{"event": "resume", "timestamp": time.time()}])
        await rasa_api.run_action(conversation_id, "action_handback")
        # As after any bot turn, so the next message is understood as usual.
        await rasa_api.append(conversation_id, [{"event": "action", "name": "action_listen", "timestamp": time.time()}])
        return RedirectResponse("/agent/", status_code=303)

    return app

