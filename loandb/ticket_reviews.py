"""Supervisors' reviews of resolved tickets, and their results per agent."""

from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loandb.models import REVIEW_OUTCOMES, Agent, HandoffTicket, TicketReview

MAX_COMMENT = 1000


class NotReviewable(ValueError):
    """The ticket is still open, or the outcome or score is not one of the allowed."""


def save_review(
    session: Session,
    ticket: HandoffTicket,
    reviewer_id: int,
    outcome: str,
    score: int,
    comment: str,
    now: datetime,
) -> TicketReview:
    """Records (or replaces) the review of a resolved ticket."""
    if ticket.status != "resolved":
        raise NotReviewable("only a resolved ticket is reviewed")
    if outcome not in REVIEW_OUTCOMES or not 1 <= score <= 5:
        raise NotReviewable("outcome or score out of range")
    review = (
        session.execute(select(TicketReview).where(TicketReview.ticket_id == ticket.id))
        .scalars()
        .first()
    )
    review = review or TicketReview(ticket_id=ticket.id)
    review.reviewer_id, review.outcome, review.score = reviewer_id, outcome, score
    review.comment, review.reviewed_at = comment.strip()[:MAX_COMMENT], now
    session.add(review)
    return review


def review_of(session: Session, ticket_id: int) -> dict[str, Any] | None:
    row = session.execute(
        select(TicketReview, Agent.display_name)
        .join(Agent, Agent.id == TicketReview.reviewer_id)
        .where(TicketReview.ticket_id == ticket_id)
    ).first()
    if row is None:
        return None
    review, reviewer = row
    return {
        "outcome": review.outcome,
        "score": review.score,
        "comment": review.comment,
        "reviewer": reviewer,
        "reviewed_at": review.reviewed_at,
    }


def reviews_per_agent(session: Session, since: datetime) -> list[dict[str, Any]]:
    """For each agent whose tickets were reviewed since then: how many, each outcome, the mean
    score."""
    found = session.execute(
        select(Agent.display_name, TicketReview.outcome, TicketReview.score)
        .join(HandoffTicket, HandoffTicket.id == TicketReview.ticket_id)
        .join(Agent, Agent.id == HandoffTicket.agent_id)
        .where(TicketReview.reviewed_at >= since)
    ).all()
    per_agent: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"reviews": 0, "scores": 0, **dict.fromkeys(REVIEW_OUTCOMES, 0)}
    )
    for name, outcome, score in found:
        figures = per_agent[name]
        figures["reviews"] += 1
        figures["scores"] += score
        figures[outcome] += 1
    return [
        {
            "agent": name,
            **{k: v for k, v in figures.items() if k != "scores"},
            "mean_score": str(
                (Decimal(figures["scores"]) / figures["reviews"]).quantize(
                    Decimal("0.1"), ROUND_HALF_UP
                )
            ),
        }
        for name, figures in sorted(per_agent.items())
    ]
