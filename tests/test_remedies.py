"""Eligibility rules and instalment figures, on the demo customers and edge cases."""
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from loandb.snapshots import customer_snapshot
from overdue.clock import add_months
from overdue.bank_rules import load_bank_rules
from overdue.remedies import (
    card_installment_options,
    deferral_decision,
    promise_amount_problem,
    promise_date_problem,
    waiver_decision,
)
from loandb.models import Customer
from loandb.session import session_scope


@pytest.fixture(scope="module")
def policy():
    return load_bank_rules()


@pytest.fixture(scope="module")
def demo(seeded_db_url, today, policy):
    """Each demo customer's only loan, as a snapshot."""
    with session_scope(seeded_db_url) as session:
        return {
            customer.name: customer_snapshot(session, customer.id, today, policy)[0]
            for customer in session.execute(select(Customer).where(Customer.is_demo)).scalars()
        }


@pytest.mark.parametrize(
    "name, eligible, reason",
    [("王强", True, None), ("李娜", False, "recent_deferral"), ("张伟", False, "credit_card")],
)
def test_deferral_for_demo_customers(demo, today, policy, name, eligible, reason):
    decision = deferral_decision(demo[name], today, policy)
    assert (decision.eligible, decision.reason) == (eligible, reason)


def test_deferral_rules_one_by_one(demo, today, policy):
    wang = demo["王强"]
    assert deferral_decision(replace(wang, in_legal_collection=True), today, policy).reason == "legal_collection"
    assert deferral_decision(replace(wang, days_overdue=91), today, policy).reason == "too_long_overdue"
    assert deferral_decision(replace(wang, days_overdue=90), today, policy).eligible
    thirteen_months_ago = add_months(today, -13)
    assert deferral_decision(replace(wang, last_deferral_granted_on=thirteen_months_ago), today, policy).eligible
    eleven_months_ago = add_months(today, -11)
    assert deferral_decision(replace(wang, last_deferral_granted_on=eleven_months_ago), today, policy).reason == (
        "recent_deferral")


@pytest.mark.parametrize(
    "name, eligible, reason",
    [("张伟", True, None), ("李娜", False, "too_long_overdue"), ("王强", False, "no_charges")],
)
def test_waiver_for_demo_customers(demo, today, policy, name, eligible, reason):
    decision = waiver_decision(demo[name], today, policy)
    assert (decision.eligible, decision.reason) == (eligible, reason)


def test_waiver_needs_a_clean_history(demo, today, policy):
    zhang = demo["张伟"]
    assert waiver_decision(replace(zhang, days_overdue=30), today, policy).eligible
    assert waiver_decision(replace(zhang, days_overdue=31), today, policy).reason == "too_long_overdue"
    late_last_year = (add_months(today, -12),)
    assert waiver_decision(replace(zhang, late_payments=late_last_year), today, policy).reason == "not_first_overdue"
    long_ago = (add_months(today, -25),)
    assert waiver_decision(replace(zhang, late_payments=long_ago), today, policy).eligible


@pytest.mark.parametrize(
    "months, monthly, total_fee",
    [(3, "4072.00", "216.00"), (6, "2072.00", "432.00"), (12, "1072.00", "864.00"), (24, "572.00", "1728.00")],
)
def test_zhang_wei_instalment_options(demo, policy, months, monthly, total_fee):
    options = {o.months: o for o in card_installment_options(demo["张伟"].overdue_amount, policy)}
    assert sorted(options) == [3, 6, 12, 24]
    assert (options[months].monthly_payment, options[months].total_fee) == (Decimal(monthly), Decimal(total_fee))


def test_instalment_rounds_to_cents(policy):
    [three, *_] = card_installment_options(Decimal("1000.00"), policy)
    assert (three.monthly_payment, three.monthly_fee, three.total_fee) == (
        Decimal("339.33"), Decimal("6.00"), Decimal("18.00"))


TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    "promised, problem",
    [(TODAY, None), (TODAY + timedelta(days=30), None), (TODAY + timedelta(days=31), "too_far"),
     (TODAY - timedelta(days=1), "past")],
)
def test_promise_date_window(policy, promised, problem):
    assert promise_date_problem(promised, TODAY, policy) == problem


@pytest.mark.parametrize(
    "amount, total, problem",
    [("3000", "8500.00", None), ("2193.83", "2193.83", None), ("2193.84", "2193.83", "above_overdue"),
     ("0", "2193.83", "not_positive"), ("-5", "2193.83", "not_positive")],
)
def test_promise_amount_bounds(amount, total, problem):
    assert promise_amount_problem(Decimal(amount), Decimal(total)) == problem
