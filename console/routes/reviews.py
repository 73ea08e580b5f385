"""A supervisor's review of a resolved ticket: POST /agent/tickets/{id}/review with an
outcome, a 1-5 score and a comment (console/reviews.py has the outcomes' words)."""

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from console.deps import CurrentAgent, check_csrf
from console.pages import require_supervisor
from console.reviews import REVIEW_WORDS
from console.tickets import audit
from loandb.models import HandoffTicket
from loandb.session import session_scope
from loandb.ticket_reviews import NotReviewable, save_review
from overdue.clock import now_in_china

router = APIRouter()


@router.post("/agent/tickets/{ticket_id}/review")
def review(
    request: Request,
    ticket_id: int,
    agent: CurrentAgent,
    outcome: str = Form(""),
    score: str = Form(""),
    comment: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    require_supervisor(agent, "review a ticket")
    if outcome not in REVIEW_WORDS or score.strip() not in ("1", "2", "3", "4", "5"):
        raise HTTPException(status_code=400, detail="choose an outcome and a score from 1 to 5")
    with session_scope() as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        try:
            save_review(session, ticket, agent["id"], outcome, int(score), comment, now_in_china())
        except NotReviewable as refused:
            raise HTTPException(status_code=400, detail=str(refused)) from None
        audit(session, agent["id"], "review", ticket)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
