"""The queue and a ticket's work: /agent/ and /agent/api/tickets, then claim, take over, the
ticket page, reveal a full number, reply, note and resolve under /agent/tickets/{id}.

A ticket is worked by one agent at a time (console/claims.py): acting on it claims it, and
another agent's ticket answers 409. Views, reveals, replies, notes and resolutions are in the
audit log. Handlers that only use the database are plain ``def`` (FastAPI's threadpool); those
that also call Rasa are ``async`` and run their database work with ``asyncio.to_thread``,
committed before Rasa is called.
"""

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from console.claims import HeldByAnother, claim, take_over
from console.delivery import deliver
from console.deps import CurrentAgent, Rasa, check_csrf
from console.pages import render
from console.reviews import ticket_review
from console.satisfaction import ticket_satisfaction
from console.tickets import (
    add_note,
    audit,
    customer_panel,
    mark_resolved,
    queue,
    ticket_view,
    transcript,
)
from console.transcripts import keep_from_rasa, kept_lines
from loandb.models import Customer, HandoffTicket
from loandb.session import session_scope
from overdue.clock import now_in_china

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 2000

router = APIRouter()


def load_ticket(session: Session, ticket_id: int) -> HandoffTicket:
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return ticket


def claimed_ticket(session: Session, ticket_id: int, agent: dict[str, Any]) -> HandoffTicket:
    """The ticket, now held by ``agent``; 409 when another agent holds it."""
    ticket = load_ticket(session, ticket_id)
    try:
        if claim(session, ticket, agent, now_in_china()):
            audit(session, agent["id"], "claim", ticket)
    except HeldByAnother as held:
        raise HTTPException(status_code=409, detail=f"该会话正由 {held.holder} 处理") from None
    return ticket


def view_ticket(
    ticket_id: int, agent: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ticket and its customer's panel, the view audited."""
    with session_scope() as session:
        ticket = load_ticket(session, ticket_id)
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        panel = customer_panel(session, customer) if customer else None
        audit(session, agent["id"], "view_ticket", ticket)
        return ticket_view(session, ticket, agent["id"]), panel


def record_reply(ticket_id: int, agent: dict[str, Any]) -> tuple[str, str]:
    """Claims the ticket and audits the reply; its conversation and channel."""
    with session_scope() as session:
        ticket = claimed_ticket(session, ticket_id, agent)
        audit(session, agent["id"], "reply", ticket)
        return ticket.conversation_id, ticket.channel


def resolve_ticket(ticket_id: int, agent: dict[str, Any]) -> str | None:
    """Resolves the ticket, claiming it; its conversation, or None when it was resolved already."""
    with session_scope() as session:
        if load_ticket(session, ticket_id).status == "resolved":
            return None
        ticket = claimed_ticket(session, ticket_id, agent)
        mark_resolved(ticket, agent["id"])
        audit(session, agent["id"], "resolve", ticket)
        return ticket.conversation_id


@router.get("/agent/", response_class=HTMLResponse)
def queue_page(request: Request, agent: CurrentAgent):
    with session_scope() as session:
        return render(request, "queue.html", agent, tickets=queue(session))


@router.get("/agent/api/tickets")
def queue_api(agent: CurrentAgent):
    with session_scope() as session:
        return {"tickets": queue(session)}


@router.post("/agent/tickets/{ticket_id}/claim")
def claim_ticket(request: Request, ticket_id: int, agent: CurrentAgent, csrf: str = Form("")):
    check_csrf(request, csrf)
    with session_scope() as session:
        claimed_ticket(session, ticket_id, agent)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.post("/agent/tickets/{ticket_id}/take-over")
def take_over_ticket(request: Request, ticket_id: int, agent: CurrentAgent, csrf: str = Form("")):
    check_csrf(request, csrf)
    with session_scope() as session:
        ticket = load_ticket(session, ticket_id)
        if not take_over(session, ticket, agent, now_in_china()):
            raise HTTPException(status_code=403, detail="只有主管可以接管其他坐席的会话")
        audit(session, agent["id"], "take_over", ticket)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.get("/agent/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ticket_id: int, agent: CurrentAgent, rasa: Rasa):
    info, panel = await asyncio.to_thread(view_ticket, ticket_id, agent)
    # A resolved ticket shows the transcript the bank kept (console/transcripts.py), read-only.
    lines = await asyncio.to_thread(kept_lines, ticket_id) if info["status"] == "resolved" else None
    if lines is None:
        try:
            lines = transcript(await rasa.tracker(info["conversation_id"]))
        except Exception:
            logger.exception("could not read conversation %s from Rasa", info["conversation_id"])
            lines = None
    review = await asyncio.to_thread(ticket_review, ticket_id)
    satisfaction = await asyncio.to_thread(ticket_satisfaction, ticket_id)
    return render(
        request,
        "ticket.html",
        agent,
        ticket=info,
        customer=panel,
        transcript=lines,
        review=review,
        satisfaction=satisfaction,
    )


@router.post("/agent/tickets/{ticket_id}/reveal")
def reveal(
    request: Request,
    ticket_id: int,
    agent: CurrentAgent,
    field: str = Form(""),
    csrf: str = Form(""),
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
    return JSONResponse({"field": field, "value": value["id_number" if field == "id" else "phone"]})


@router.post("/agent/tickets/{ticket_id}/reply")
async def reply(
    request: Request,
    ticket_id: int,
    agent: CurrentAgent,
    rasa: Rasa,
    text: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    text = text.strip()[:MAX_REPLY_CHARS]
    if text:
        conversation_id, channel = await asyncio.to_thread(record_reply, ticket_id, agent)
        if channel == "socketio":
            # Live on the customer's page: only the Rasa server holds the socket.
            await rasa.append(
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
            await rasa.run_action(conversation_id, "action_relay_agent_message")
        else:
            await rasa.append(
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


@router.post("/agent/tickets/{ticket_id}/notes")
def notes(
    request: Request,
    ticket_id: int,
    agent: CurrentAgent,
    text: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    if text.strip():
        with session_scope() as session:
            ticket = claimed_ticket(session, ticket_id, agent)
            add_note(session, ticket, agent["id"], text.strip()[:MAX_NOTE_CHARS])
            audit(session, agent["id"], "note", ticket)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.post("/agent/tickets/{ticket_id}/resolve")
async def resolve(
    request: Request, ticket_id: int, agent: CurrentAgent, rasa: Rasa, csrf: str = Form("")
):
    check_csrf(request, csrf)
    conversation_id = await asyncio.to_thread(resolve_ticket, ticket_id, agent)
    if conversation_id is None:
        return RedirectResponse("/agent/", status_code=303)
    # The bot takes over again, saying so on the customer's own channel; slots
    # (verification included) are kept.
    await rasa.append(conversation_id, [{"event": "resume", "timestamp": time.time()}])
    await rasa.run_action(conversation_id, "action_handback")
    # As after any bot turn, so the next message is understood as usual.
    await rasa.append(
        conversation_id,
        [{"event": "action", "name": "action_listen", "timestamp": time.time()}],
    )
    await keep_from_rasa(rasa, ticket_id, conversation_id)  # the bank's copy, hand-back included
    return RedirectResponse("/agent/", status_code=303)
