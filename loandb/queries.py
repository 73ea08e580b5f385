"""Query functions; each takes the caller's session."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from loandb.models import Customer, LoanAccount


def customers_by_identity(session: Session, id_last4: str, phone_last4: str) -> list[Customer]:
    """Customers whose ID number and phone number end with these digits."""
    statement = select(Customer).where(
        Customer.id_last4 == id_last4.upper(), Customer.phone_last4 == phone_last4
    )
    return list(session.execute(statement).scalars())


def customer_by_id(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def customer_by_openid(session: Session, openid: str) -> Customer | None:
    statement = select(Customer).where(Customer.wechat_openid == openid)
    return session.execute(statement).scalars().first()


def loans_of_customer(
    session: Session, customer_id: int, kinds: Sequence[str] | None = None
) -> list[LoanAccount]:
    """The customer's loan accounts with schedule, deferrals and report status loaded."""
    statement = (
        select(LoanAccount)
        .where(LoanAccount.customer_id == customer_id)
        .options(
            selectinload(LoanAccount.schedule),
            selectinload(LoanAccount.deferrals),
            selectinload(LoanAccount.credit_report),
        )
        .order_by(LoanAccount.id)
    )
    if kinds:
        statement = statement.where(LoanAccount.kind.in_(list(kinds)))
    return list(session.execute(statement).scalars())


def bind_openid(session: Session, customer_id: int, openid: str) -> bool:
    """Links a WeChat openid to a customer who has none, unless another customer holds it."""
    customer = session.get(Customer, customer_id)
    if (
        customer is None
        or customer.wechat_openid
        or customer_by_openid(session, openid) is not None
    ):
        return False
    customer.wechat_openid = openid
    return True
