"""Requests customers make in conversation, each with a reference number they are given."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loandb.models import ServiceRequest
from overdue.requests import OPEN_STATUSES


def open_request(
    session: Session, customer_id: int, kind: str, loan_id: int | None
) -> ServiceRequest | None:
    """The customer's request of this kind still open for this loan, if any."""
    statement = (
        select(ServiceRequest)
        .where(
            ServiceRequest.customer_id == customer_id,
            ServiceRequest.kind == kind,
            ServiceRequest.loan_id == loan_id,
            ServiceRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(ServiceRequest.id.desc())
    )
    return session.execute(statement).scalars().first()


def create_request(session: Session, created_at: datetime, **fields) -> ServiceRequest:
    """Stores the request and gives it its reference, YQ + China date + the row number."""
    request = ServiceRequest(created_at=created_at, **fields)
    session.add(request)
    session.flush()  # the id makes the reference
    request.reference = f"YQ{created_at:%Y%m%d}-{request.id:06d}"
    return request
