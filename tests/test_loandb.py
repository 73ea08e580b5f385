"""The database layer on SQLite and, when it answers, PostgreSQL."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from loandb.snapshots import customer_snapshot
from overdue.bank_rules import load_bank_rules
from overdue.clock import CHINA
from loandb.models import Customer, ScheduleRow, ServiceRequest
from loandb.service_requests import create_request
from loandb.queries import customer_by_openid, customers_by_identity, loans_of_customer
from loandb.seed import add_random_customers, customer_count, reset_demo_customers
from loandb.session import session_scope


def _customer(session, name):
    return session.execute(select(Customer).where(Customer.name == name)).scalar_one()


def test_identity_lookup_is_exact(seeded_db_url):
    with session_scope(seeded_db_url) as session:
        assert [c.name for c in customers_by_identity(session, "3021", "8866")] == ["张伟"]
        assert [c.name for c in customers_by_identity(session, "452x", "5521")] == ["李娜"]
        assert customers_by_identity(session, "8866", "3021") == []
        assert customer_by_openid(session, "oDEMO_wangqiang").name == "王强"


def test_money_and_rates_are_exact(seeded_db_url):
    with session_scope(seeded_db_url) as session:
        li = _customer(session, "李娜")
        loan = loans_of_customer(session, li.id)[0]
        assert loan.annual_rate == Decimal("0.0435")
        row = session.execute(
            select(ScheduleRow).where(ScheduleRow.loan_id == loan.id, ScheduleRow.settled_on.is_(None))
        ).scalars().first()
        assert (row.principal, row.interest) == (Decimal("2000.00"), Decimal("180.00"))


def test_demo_snapshots(seeded_db_url, today):
    policy = load_bank_rules()
    with session_scope(seeded_db_url) as session:
        zhang = customer_snapshot(session, _customer(session, "张伟").id, today, policy)[0]
        li = customer_snapshot(session, _customer(session, "李娜").id, today, policy)[0]
        wang = customer_snapshot(session, _customer(session, "王强").id, today, policy)[0]
    assert (zhang.kind, zhang.account_tail, zhang.overdue_amount, zhang.minimum_due) == (
        "credit_card", "6217", Decimal("12000.00"), Decimal("1200.00"))
    assert (zhang.days_overdue, zhang.penalty_interest, zhang.late_fee) == (12, Decimal("72.00"), Decimal("60.00"))
    assert zhang.reported
    assert (li.overdue_amount, li.days_overdue, li.penalty_interest) == (Decimal("2180.00"), 35, Decimal("13.83"))
    assert li.product_name == "邮享贷"
    assert (wang.overdue_amount, wang.days_overdue, wang.charges) == (Decimal("8500.00"), 2, Decimal("0.00"))
    assert wang.in_grace and not wang.reported


def test_li_na_had_a_deferral_five_months_ago(seeded_db_url, today):
    with session_scope(seeded_db_url) as session:
        loan = loans_of_customer(session, _customer(session, "李娜").id)[0]
        [deferral] = loan.deferrals
        assert deferral.status == "granted"
        assert 140 <= (today - deferral.requested_on).days <= 160


def test_reset_rebuilds_demo_only_and_random_customers_are_added(seeded_db_url, today):
    with session_scope(seeded_db_url) as session:
        add_random_customers(session, 25, today)
        zhang = _customer(session, "张伟")
        create_request(session, datetime.now(CHINA), kind="penalty_waiver", status="pending_review",
                       customer_id=zhang.id, loan_id=zhang.loans[0].id)
    with session_scope(seeded_db_url) as session:
        assert customer_count(session) == 28
        reset_demo_customers(session, today)
    with session_scope(seeded_db_url) as session:
        assert customer_count(session) == 28
        assert len(customers_by_identity(session, "3021", "8866")) == 1
        assert session.execute(select(ServiceRequest)).scalars().all() == []  # the demo's requests went too
