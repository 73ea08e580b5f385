"""Rendering for the console's routers (history, reviews, dashboard): the same templates and
CSRF token as console/app.py's pages."""

import secrets
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

SUPERVISOR = "supervisor"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def render(
    request: Request,
    name: str,
    agent: dict[str, Any] | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {"agent": agent, "csrf": csrf_token(request), **context},
        status_code=status_code,
    )


def require_supervisor(agent: dict[str, Any], what: str) -> None:
    if agent.get("role") != SUPERVISOR:
        raise HTTPException(status_code=403, detail=f"only a supervisor may {what}")
