"""What a console route states it needs, as FastAPI dependencies: the signed-in agent, the
Rasa API client, the login's client address; and the session's form-token (CSRF) helpers.

    @router.get("/agent/...")
    def handler(request: Request, agent: CurrentAgent, rasa: Rasa): ...

``create_app`` (console/app.py) puts the Rasa client and the trusted proxies on ``app.state``.
The database is opened by each route with ``loandb.session.session_scope`` rather than as a
dependency: a route's transaction must be committed before it calls Rasa (a reply's audit entry,
a resolved ticket), and off the event loop.
"""

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from console.client_address import client_address
from console.sessions import session_agent_id
from gateways.rasa_http import RasaAPI
from loandb.models import Agent
from loandb.session import session_scope
from overdue.clock import now_in_china


class LoginRequired(Exception):
    """Not signed in: console/app.py answers a page with the login page, an API with 401."""


def csrf_token(request: Request) -> str:
    """The session's form token, made on first use; every form carries it."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def check_csrf(request: Request, token: str) -> None:
    """403 unless a form's token is the session's; called in the handler, after sign-in."""
    if not hmac.compare_digest(token or "", request.session.get("csrf") or "-"):
        raise HTTPException(status_code=403, detail="invalid form token")


def current_agent(request: Request) -> dict[str, Any]:
    """The agent of the request's live session (a plain ``def``: run in FastAPI's threadpool)."""
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


async def rasa_api(request: Request) -> RasaAPI:
    return request.app.state.rasa


async def login_address(request: Request) -> str:
    """Where the request came from, believing ``X-Forwarded-For`` only from a trusted proxy."""
    return client_address(request, request.app.state.trusted_proxies)


CurrentAgent = Annotated[dict[str, Any], Depends(current_agent)]
Rasa = Annotated[RasaAPI, Depends(rasa_api)]
ClientAddress = Annotated[str, Depends(login_address)]
