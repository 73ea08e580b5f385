"""Rendering for the console's routes (console/routes/): the templates, each page given the
signed-in agent and the session's form token; and the supervisor-only check."""

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.deps import csrf_token

SUPERVISOR = "supervisor"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


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
