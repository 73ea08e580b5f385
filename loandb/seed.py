"""Creates the schema and the demo customers, dated relative to today (China time).

python -m loandb.seed                 # schema + demo customers (rebuilt if present)
python -m loandb.seed --if-missing    # only when the database has no customers yet
python -m loandb.seed --reset         # rebuild the demo customers as of today
python -m loandb.seed --random 1000   # add random customers for load tests
"""

import argparse
import logging
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from loandb import tracker_events
from loandb.erasure import failure_subjects
from loandb.migrate import upgrade
from loandb.models import (
    LOAN_KINDS,
    Agent,
    Base,
    CreditReportStatus,
    Customer,
    CustomerConversation,
    Deferral,
    HandoffTicket,
    LoanAccount,
    Payment,
    Reminder,
    ScheduleRow,
    ServiceRequest,
)
from loandb.session import session_scope
from overdue.clock import CHINA, add_months, today_in_china
from overdue.passwords import hash_password, new_password
from settings import current

logger = logging.getLogger(__name__)


def _paid_row(due: date, principal: str, interest: str = "0", minimum: str | None = None):
    return ScheduleRow(
        due_date=due,
        principal=Decimal(principal),
        interest=Decimal(interest),
        minimum_due=Decimal(minimum) if minimum else None,
        principal_paid=Decimal(principal),
        interest_paid=Decimal(interest),
        settled_on=due - timedelta(days=1),
    )


def _paid_at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=CHINA)


def _bound_at(today: date) -> datetime:
    """Demo openids count as bound this morning: trusted for the policy's binding days."""
    return datetime.combine(today, time(8, 0), tzinfo=CHINA)


def demo_customers(today: date) -> list:
    """The three demo customers exactly as the bank's scripted journeys expect them."""
    zhang_due = today - timedelta(days=12)
    zhang_card = LoanAccount(
        kind="credit_card",
        product_name="信用卡",
        account_tail="6217",
        annual_rate=None,
        repayment_account_tail="1024",
        opened_on=date(today.year - 4, 3, 1),
        schedule=[
            _paid_row(add_months(zhang_due, -2), "3500.00", minimum="350.00"),
            _paid_row(add_months(zhang_due, -1), "4200.00", minimum="420.00"),
            ScheduleRow(
                due_date=zhang_due,
                principal=Decimal("12000.00"),
                interest=Decimal("0"),
                minimum_due=Decimal("1200.00"),
            ),
        ],
        credit_report=CreditReportStatus(
            status="reported", reported_on=zhang_due + timedelta(days=4)
        ),
    )
    zhang = Customer(
        name="张伟",
        id_number="110101198503153021",
        phone="13800138866",
        id_last4="3021",
        phone_last4="8866",
        wechat_openid="oDEMO_zhangwei",
        wechat_bound_at=_bound_at(today),
        is_demo=True,
        loans=[zhang_card],
    )

    li_due = today - timedelta(days=35)
    li_loan = LoanAccount(
        kind="consumer",
        product_name="邮享贷",
        account_tail="0932",
        annual_rate=Decimal("0.0435"),
        repayment_account_tail="7310",
        opened_on=add_months(li_due, -10),
        schedule=[_paid_row(add_months(li_due, -n), "2000.00", "180.00") for n in (3, 2, 1)]
        + [
            ScheduleRow(due_date=li_due, principal=Decimal("2000.00"), interest=Decimal("180.00")),
            # The deferral moved the following instalments back by a month.
            ScheduleRow(
                due_date=add_months(li_due, 2),
                principal=Decimal("2000.00"),
                interest=Decimal("180.00"),
            ),
        ],
        deferrals=[
            Deferral(
                requested_on=add_months(today, -5),
                months=1,
                reason="生病住院",
                status="granted",
            )
        ],
        credit_report=CreditReportStatus(status="reported", reported_on=li_due + timedelta(days=4)),
    )
    li = Customer(
        name="李娜",
        id_number="32010219900707452X",
        phone="13912345521",
        id_last4="452X",
        phone_last4="5521",
        wechat_openid="oDEMO_lina",
        wechat_bound_at=_bound_at(today),
        is_demo=True,
        loans=[li_loan],
    )

    wang_due = today - timedelta(days=2)
    wang_loan = LoanAccount(
        kind="business",
        product_name="经营贷",
        account_tail="5566",
        annual_rate=Decimal("0.0385"),
        repayment_account_tail="2048",
        opened_on=add_months(wang_due, -6),
        schedule=[_paid_row(add_months(wang_due, -n), "8000.00", "500.00") for n in (2, 1)]
        + [
            ScheduleRow(
                due_date=wang_due, principal=Decimal("8000.00"), interest=Decimal("500.00")
            ),
            ScheduleRow(
                due_date=add_months(wang_due, 1),
                principal=Decimal("8000.00"),
                interest=Decimal("500.00"),
            ),
        ],
        credit_report=CreditReportStatus(status="clean"),
    )
    wang = Customer(
        name="王强",
        id_number="440305197808087788",
        phone="13700000019",
        id_last4="7788",
        phone_last4="0019",
        wechat_openid="oDEMO_wangqiang",
        wechat_bound_at=_bound_at(today),
        is_demo=True,
        loans=[wang_loan],
    )
    for customer in (zhang, li, wang):
        for loan in customer.loans:
            loan.payments = [
                Payment(paid_at=_paid_at(row.settled_on), amount=row.amount_due, channel="自动扣款")
                for row in loan.schedule
                if row.settled_on
            ]
    return [zhang, li, wang]


def random_customer(rng: random.Random, fake, today: date) -> Customer:
    """A plausible customer with one or two loans, some overdue, for load tests."""
    id_number = fake.ssn()
    phone = fake.phone_number()
    loans = []
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.choice(LOAN_KINDS)
        overdue_days = rng.choice((0, 0, 2, 5, 12, 35, 60))
        due = today - timedelta(days=overdue_days) if overdue_days else today + timedelta(days=10)
        principal = Decimal(rng.randrange(500, 20000)).quantize(Decimal("1"))
        is_card = kind == "credit_card"
        interest = Decimal("0") if is_card else (principal * Decimal("0.05")).quantize(Decimal("1"))
        loans.append(
            LoanAccount(
                kind=kind,
                product_name={
                    "credit_card": "信用卡",
                    "consumer": "邮享贷",
                    "mortgage": "个人住房贷款",
                    "car": "个人汽车贷款",
                    "business": "经营贷",
                }[kind],
                account_tail=f"{rng.randrange(10000):04d}",
                annual_rate=None if is_card else Decimal(rng.choice(("0.0385", "0.0435", "0.049"))),
                repayment_account_tail=f"{rng.randrange(10000):04d}",
                opened_on=add_months(today, -12),
                schedule=[
                    ScheduleRow(
                        due_date=due,
                        principal=principal,
                        interest=interest,
                        minimum_due=(principal / 10).quantize(Decimal("0.01")) if is_card else None,
                    )
                ],
                credit_report=CreditReportStatus(
                    status="reported" if overdue_days > 3 else "clean"
                ),
            )
        )
    return Customer(
        name=fake.name(),
        id_number=id_number,
        phone=phone,
        id_last4=id_number[-4:].upper(),
        phone_last4=phone[-4:],
        loans=loans,
    )


def demo_conversation_ids(session: Session) -> set[str]:
    """Every conversation the demo customers were seen in: where they verified, were reminded,
    asked for something or were handed over, and their WeChat openids (WeChat's conversation
    ids)."""
    demo_ids = select(Customer.id).where(Customer.is_demo)
    found: set[str] = set()
    for model in (CustomerConversation, Reminder, ServiceRequest, HandoffTicket):
        found.update(
            session.execute(
                select(model.conversation_id).where(model.customer_id.in_(demo_ids))
            ).scalars()
        )
    found.update(session.execute(select(Customer.wechat_openid).where(Customer.is_demo)).scalars())
    found.discard(None)
    return found


def _conversation_keyed_tables() -> list:
    """Tables with rows about a conversation rather than (only) a customer: lockouts, codes,
    failures, links. Found by their column, so tables added later are swept too."""
    return [
        (table, table.c[name])
        for table in reversed(Base.metadata.sorted_tables)
        for name in ("conversation_id", "sender_id")
        if name in table.c
    ]


def reset_demo_customers(session: Session, today: date) -> set[str]:
    """Replaces the demo customers (and only them) with fresh ones dated from today.

    Everything tied to the old ones goes: their loans with their history, requests,
    reminders, tickets with their notes, conversation links, and whatever is kept per
    conversation they were seen in (lockouts, codes). The audit trail stays, detached
    (ON DELETE SET NULL). Returns those conversations, for the tracker store
    (``forget_conversations``)."""
    conversations = demo_conversation_ids(session)
    demo_ids = select(Customer.id).where(Customer.is_demo)
    options = {"synchronize_session": False}
    session.execute(
        delete(HandoffTicket).where(
            or_(
                HandoffTicket.customer_id.in_(demo_ids),
                HandoffTicket.conversation_id.in_(conversations),
            )
        ),
        execution_options=options,
    )
    for table, column in _conversation_keyed_tables():
        if conversations:
            session.execute(
                delete(table).where(column.in_(conversations)), execution_options=options
            )
    failures = Base.metadata.tables.get("identity_failures")
    if failures is not None:  # counted per customer id: a new demo customer may get an old id
        old_ids = list(session.execute(demo_ids).scalars())
        session.execute(
            delete(failures).where(
                failures.c.subject.in_(failure_subjects(old_ids, conversations))
            ),
            execution_options=options,
        )
    # Loan contracts are RESTRICTed: only the demo's are deleted, explicitly (their
    # schedule, payments, deferrals, reminders and requests cascade).
    session.execute(
        delete(LoanAccount).where(LoanAccount.customer_id.in_(demo_ids)), execution_options=options
    )
    session.execute(delete(Customer).where(Customer.is_demo), execution_options=options)
    session.expunge_all()
    session.add_all(demo_customers(today))
    return conversations


def forget_conversations(conversation_ids: set[str], tracker_url: str | None = None) -> int:
    """The demo's old conversations leave the tracker store too: a reset customer starts afresh."""
    return tracker_events.delete_conversations(conversation_ids, url=tracker_url)


def add_random_customers(session: Session, count: int, today: date, seed: int = 7) -> None:
    from faker import Faker  # only the load-test path needs it

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    taken = set(session.execute(select(Customer.id_number)).scalars())
    demo_pairs = {(c.id_last4, c.phone_last4) for c in demo_customers(today)}
    added = 0
    while added < count:
        customer = random_customer(rng, fake, today)
        if customer.id_number in taken or (customer.id_last4, customer.phone_last4) in demo_pairs:
            continue
        taken.add(customer.id_number)
        session.add(customer)
        added += 1


DEMO_AGENT = "agent01"
DEMO_SUPERVISOR = "supervisor01"  # may take over another agent's ticket


def ensure_demo_agent(
    session: Session,
    reset_password: bool = False,
    username: str = DEMO_AGENT,
    display_name: str = "坐席小邮",
    role: str = "agent",
) -> str | None:
    """Creates the demo agent (password from CONSOLE_DEMO_PASSWORD, else a new random one).

    Returns the password when it was set now, so it can be printed once; never stored in clear.
    """

    agent = session.execute(select(Agent).where(Agent.username == username)).scalars().first()
    if agent is not None and not reset_password:
        return None
    password = current().console_demo_password or new_password()
    if agent is None:
        agent = Agent(username=username, display_name=display_name, role=role)
        session.add(agent)
    agent.password_hash = hash_password(password)
    return password


def customer_count(session: Session) -> int:
    return session.execute(select(func.count(Customer.id))).scalar_one()


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create and seed the loan database.")
    parser.add_argument("--if-missing", action="store_true", help="only seed an empty database")
    parser.add_argument(
        "--reset", action="store_true", help="rebuild the demo customers as of today"
    )
    parser.add_argument("--random", type=int, default=0, metavar="N", help="add N random customers")
    parser.add_argument(
        "--agent-password",
        action="store_true",
        help="give the demo console agent a new password and print it",
    )
    args = parser.parse_args(argv)

    today = today_in_china()
    upgrade()
    old_conversations: set[str] = set()
    with session_scope() as session:
        password = ensure_demo_agent(session, reset_password=args.agent_password)
        supervisor_password = ensure_demo_agent(
            session,
            reset_password=args.agent_password,
            username=DEMO_SUPERVISOR,
            display_name="值班主管",
            role="supervisor",
        )
        if args.if_missing and customer_count(session) > 0:
            print("==> loan database already seeded")
        else:
            old_conversations = reset_demo_customers(session, today)
            if args.random:
                add_random_customers(session, args.random, today)
            print(
                f"==> loan database seeded: 3 demo customers as of {today}"
                + (f", {args.random} random customers" if args.random else "")
            )
    if old_conversations:
        events = forget_conversations(old_conversations)
        print(
            f"==> {len(old_conversations)} old demo conversations removed from the tracker store"
            f" ({events} events)"
        )
    if password:
        print(f"==> agent console login: {DEMO_AGENT} / {password}  (http://localhost:8080/agent/)")
    if supervisor_password:
        print(f"==> supervisor console login: {DEMO_SUPERVISOR} / {supervisor_password}")


if __name__ == "__main__":
    main()
