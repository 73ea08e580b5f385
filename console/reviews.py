"""A supervisor's review of a resolved ticket: POST /agent/tickets/{id}/review with an outcome
(处理得当 / 需改进 / 升级投诉), a 1-5 score and a comment. Agents without the supervisor role
get a 403; each review is in the audit log. The route is in console/routes/reviews.py; this
module has the outcomes' words and a review as the ticket page shows it."""

from typing import Any

from loandb.session import session_scope
from loandb.ticket_reviews import review_of
from overdue.clock import as_china

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
