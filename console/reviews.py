"""A supervisor's review of a resolved ticket: POST /agent/tickets/{id}/review with an outcome
(处理得当 / 需改进 / 升级投诉), a 1-5 score and a comment. Agents without the supervisor role
get a 403; each review is in the audit log. Registered in console/app.py with
``app.include_router(reviews_router(current_agent, check_csrf))``."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from console.pages import require_supervisor
from console.tickets import audit
from loandb.models import HandoffTicket
from loandb.session import session_scope
from loandb.ticket_reviews import NotReviewable, review_of, save_review
from overdue.clock import as_china, now_in_china

REVIEW_WORDS = {
    "handled_well": "处理得当",
    "needs_improvement": "需改进",
    "complaint_escalated": "升级投诉",
}


def ticket_review(ticket_id: int) -> dict[str, Any] | None:
    """The review as the ticket page shows it, or None."""
    with session_scope() as session:
        review = review_of(session, ticket_id)
    if review is None:
        return None
    return {
        **review,
        "outcome_words": REVIEW_WORDS.get(review["outcome"], review["outcome"]),
        "reviewed_at": as_china(review["reviewed_at"]).strftime("%Y-%m-%d %H:%M"),
    }


def reviews_router(current_agent: Callable, check_csrf: Callable) -> APIRouter:
    router = APIRouter()

    @router.post("/agent/tickets/{ticket_id}/review")
    def review(
        request: Request,
        ticket_id: int,
        outcome: str = Form(""),
        score: str = Form(""),
        comment: str = Form(""),
        csrf: str = Form(""),
        agent=Depends(current_agent),
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
                save_review(
                    session, ticket, agent["id"], outcome, int(score), comment, now_in_china()
                )
            except NotReviewable as refused:
                raise HTTPException(status_code=400, detail=str(refused))
            audit(session, agent["id"], "review", ticket)
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)

    return router
