"""A ticket's transcript as a PDF: GET /agent/tickets/{id}/transcript.pdf (console/export_pdf.py
sets the PDF). The kept transcript of a resolved ticket, else the live one from Rasa: the
database work and the typesetting run off the event loop."""

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from console.deps import CurrentAgent, Rasa
from console.export_pdf import ticket_export, transcript_pdf
from console.tickets import audit
from console.transcripts import messages_from_tracker
from loandb.models import HandoffTicket
from loandb.session import session_scope

logger = logging.getLogger(__name__)

router = APIRouter()


def exported_ticket(ticket_id: int, agent_id: int) -> dict[str, Any]:
    with session_scope() as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        audit(session, agent_id, "export_pdf", ticket)
        return ticket_export(session, ticket)


@router.get("/agent/tickets/{ticket_id}/transcript.pdf")
async def transcript_file(ticket_id: int, agent: CurrentAgent, rasa: Rasa):
    found = await asyncio.to_thread(exported_ticket, ticket_id, agent["id"])
    messages = found["messages"]
    if messages is None:  # not resolved yet: the conversation as Rasa has it now
        try:
            messages = messages_from_tracker(await rasa.tracker(found["conversation_id"]))
        except Exception:
            logger.exception("ticket %s: could not read its conversation from Rasa", ticket_id)
            raise HTTPException(
                status_code=503, detail="the conversation cannot be read right now"
            ) from None
    pdf = await asyncio.to_thread(transcript_pdf, found["header"], messages)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="ticket-{ticket_id}-transcript.pdf"'
        },
    )
