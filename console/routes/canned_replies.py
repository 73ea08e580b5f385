"""常用语 for the ticket page's reply box: GET /agent/api/tickets/{id}/canned-replies?q=罚息
(console/canned_replies.py reads the file and fills in the customer's figures)."""

from fastapi import APIRouter, HTTPException

from console.canned_replies import ticket_replies
from console.deps import CurrentAgent

router = APIRouter()


@router.get("/agent/api/tickets/{ticket_id}/canned-replies")
def canned_replies(ticket_id: int, agent: CurrentAgent, q: str = ""):
    replies = ticket_replies(ticket_id, q[:50])
    if replies is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return {"replies": replies}
