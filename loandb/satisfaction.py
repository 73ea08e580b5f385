"""Customers' satisfaction ratings (满意度): stored as they come, and counted per ticket,
per agent and per day for the console."""

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loandb.models import Agent, HandoffTicket, SatisfactionRating
from overdue.clock import as_china

MAX_COMMENT = 1000
SCORES = (1, 2, 3, 4, 5)


class NotARating(ValueError):
    """The score is not one of 1-5."""


def mean_score(scores: list[int]) -> str | None:
    """The mean to one decimal, rounded half-up, as the console shows it; None without ratings."""
    if not scores:
        return None
    return str((Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def save_rating(
    session: Session,
    conversation_id: str,
    channel: str,
    score: int,
    now: datetime,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    comment: str = "",
) -> SatisfactionRating:
    if score not in SCORES:
        raise NotARating(score)
    if ticket_id is not None and session.get(HandoffTicket, ticket_id) is None:
        ticket_id = None  # gone meanwhile (erased, or the demo reset): the rating still counts
    rating = SatisfactionRating(
        conversation_id=conversation_id[:128],
        channel=(channel or "rest")[:30],
        customer_id=customer_id,
        ticket_id=ticket_id,
        score=score,
        comment=comment.strip()[:MAX_COMMENT],
        created_at=now,
    )
    session.add(rating)
    session.flush()
    return rating


def add_words(session: Session, rating_id: int, words: str) -> bool:
    """The customer's words after their rating; False when the rating is no longer there."""
    rating = session.get(SatisfactionRating, rating_id)
    if rating is None:
        return False
    rating.comment = words.strip()[:MAX_COMMENT]
    return True


def change_score(session: Session, rating_id: int, score: int) -> SatisfactionRating | None:
    rating = session.get(SatisfactionRating, rating_id)
    if rating is None or score not in SCORES:
        return None
    rating.score = score
    return rating


def ratings_of_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SatisfactionRating)
        .where(SatisfactionRating.ticket_id == ticket_id)
        .order_by(SatisfactionRating.id)
    ).scalars()
    return [
        {
            "score": r.score,
            "comment": r.comment,
            "channel": r.channel,
            "at": as_china(r.created_at).strftime("%Y-%m-%d %H:%M"),
        }
        for r in rows
    ]


def ratings_per_agent(session: Session, since: datetime) -> list[dict[str, Any]]:
    """For each agent whose handed-back tickets were rated since then: how many, each score,
    the mean."""
    found = session.execute(
        select(Agent.display_name, SatisfactionRating.score)
        .join(HandoffTicket, HandoffTicket.id == SatisfactionRating.ticket_id)
        .join(Agent, Agent.id == HandoffTicket.agent_id)
        .where(SatisfactionRating.created_at >= since)
    ).all()
    per_agent: dict[str, list[int]] = defaultdict(list)
    for name, score in found:
        per_agent[name].append(score)
    return [
        {
            "agent": name,
            "ratings": len(scores),
            "counts": [scores.count(s) for s in SCORES],
            "mean_score": mean_score(scores),
        }
        for name, scores in sorted(per_agent.items())
    ]


def ratings_per_day(session: Session, since: datetime, days: list[date]) -> dict[str, list[Any]]:
    """Per day (China time): how many ratings, and their mean score (None on a day without)."""
    scores: dict[date, list[int]] = defaultdict(list)
    for created_at, score in session.execute(
        select(SatisfactionRating.created_at, SatisfactionRating.score).where(
            SatisfactionRating.created_at >= since
        )
    ).all():
        scores[as_china(created_at).date()].append(score)
    return {
        "ratings": [len(scores.get(d, [])) for d in days],
        "mean": [float(mean_score(scores[d])) if scores.get(d) else None for d in days],
    }
