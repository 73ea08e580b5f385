"""What-if arithmetic (overdue/what_if.py): pay an amount now, the minimum, everything on a day,
or part now and the rest later; expected figures worked out here from the policy's rates."""
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from overdue import what_if
from overdue.account_snapshot import LoanSnapshot, snapshot_loan
from overdue.bank_rules import load_bank_rules
from loandb.models import Customer
from loandb.queries import loans_of_customer
from loandb.session import session_scope

TODAY = date(2026, 11, 29)


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def policy():
    return load_bank_rules()


def card(balance="12000.00", minimum="1200.00", days=12, policy=None) -> LoanSnapshot:
    """A card as the snapshot describes it, its charges from the policy's rates."""
    balance, minimum = Decimal(balance), Decimal(minimum)
    late = days > policy.grace_period_days
    interest = cents(balance * policy.card_daily_interest_rate * days) if late else cents(0)
    fee = cents(minimum * policy.card_late_fee_rate) if late else cents(0)
    due = TODAY - timedelta(days=days)
    return LoanSnapshot(
        loan_id=1, kind="credit_card", product_name="信用卡", account_tail="6217", repayment_account_tail="1024",
        annual_rate=None, overdue_amount=balance, overdue_principal=balance, overdue_interest=cents(0),
        minimum_due=minimum, earliest_due_date=due, days_overdue=days,
        grace_period_end=due + timedelta(days=policy.grace_period_days), penalty_interest=interest, late_fee=fee,
        reported=late, report_status="reported" if late else "clean",
    )


def loan(overdue="2180.00", rate="0.0435", days=35, policy=None) -> LoanSnapshot:
    overdue, rate = Decimal(overdue), Decimal(rate)
    late = days > policy.grace_period_days
    penalty = cents(overdue * rate / 360 * Decimal("1.5") * days) if late else cents(0)
    due = TODAY - timedelta(days=days)
    return LoanSnapshot(
        loan_id=2, kind="consumer", product_name="邮享贷", account_tail="0932", repayment_account_tail="7310",
        annual_rate=rate, overdue_amount=overdue, overdue_principal=overdue, overdue_interest=cents(0),
        minimum_due=None, earliest_due_date=due, days_overdue=days,
        grace_period_end=due + timedelta(days=policy.grace_period_days), penalty_interest=penalty,
        late_fee=cents(0), reported=late, report_status="reported" if late else "clean",
    )


def test_zhang_wei_pays_the_minimum(policy):
    # 12,000 x 0.05% x 12 = 72.00 interest, 5% of 1,200 = 60.00 late fee: 12,132.00 settles.
    outcome = what_if.pay_minimum(card(policy=policy), policy)
    assert outcome.total_before == Decimal("12132.00")
    assert outcome.charges_covered == Decimal("132.00")
    assert outcome.to_principal == Decimal("1068.00")
    assert outcome.remaining == Decimal("10932.00")
    assert outcome.remaining_principal == Decimal("10932.00")
    assert outcome.daily_accrual == Decimal("5.47")  # 10,932 x 0.05% = 5.466
    assert outcome.minimum_covered and outcome.still_reported and not outcome.settles


def test_less_than_the_minimum_leaves_it_unpaid(policy):
    outcome = what_if.pay_now(card(policy=policy), Decimal("500"), policy)
    assert not outcome.minimum_covered
    assert outcome.charges_covered == Decimal("132.00") and outcome.to_principal == Decimal("368.00")
    assert outcome.remaining == Decimal("11632.00")


def test_a_payment_smaller_than_the_charges_covers_only_charges(policy):
    outcome = what_if.pay_now(card(policy=policy), Decimal("100"), policy)
    assert outcome.charges_covered == Decimal("100.00") and outcome.to_principal == Decimal("0.00")
    assert outcome.remaining_principal == Decimal("12000.00")
    assert outcome.remaining == Decimal("12032.00")


def test_paying_everything_settles_and_stops_reporting(policy):
    outcome = what_if.pay_now(card(policy=policy), Decimal("12132"), policy)
    assert outcome.settles and not outcome.still_reported and outcome.daily_accrual == Decimal("0.00")


def test_more_than_owed_is_capped(policy):
    outcome = what_if.pay_now(card(policy=policy), Decimal("20000"), policy)
    assert outcome.more_than_owed and outcome.paid == Decimal("12132.00") and outcome.settles
    assert outcome.asked == Decimal("20000.00")


def test_li_na_pays_part_now(policy):
    # Penalty 2,180 x 4.35% / 360 x 1.5 x 35 = 13.829375 -> 13.83; 2,193.83 settles.
    outcome = what_if.pay_now(loan(policy=policy), Decimal("1000"), policy)
    assert outcome.total_before == Decimal("2193.83")
    assert outcome.charges_covered == Decimal("13.83") and outcome.to_principal == Decimal("986.17")
    assert outcome.remaining == Decimal("1193.83")
    assert outcome.daily_accrual == cents(Decimal("1193.83") * Decimal("0.0435") / 360 * Decimal("1.5"))
    assert outcome.daily_accrual == Decimal("0.22")
    assert what_if.pay_minimum(loan(policy=policy), policy) is None  # a loan has no minimum


def test_li_na_pays_part_now_and_the_rest_in_ten_days(policy):
    account = loan(policy=policy)
    outcome = what_if.pay_now(account, Decimal("1000"), policy)
    rest = what_if.rest_on(account, outcome, TODAY, TODAY + timedelta(days=10), policy)
    expected = Decimal("1193.83") + cents(Decimal("1193.83") * Decimal("0.0435") / 360 * Decimal("1.5") * 10)
    assert rest == expected == Decimal("1195.99")  # 2.1638.. -> 2.16 more


def test_wang_qiang_in_grace_pays_part(policy):
    account = loan("8500.00", "0.0385", days=2, policy=policy)
    outcome = what_if.pay_now(account, Decimal("3000"), policy)
    assert outcome.in_grace and not outcome.still_reported
    assert outcome.remaining == Decimal("5500.00") and outcome.charges_covered == Decimal("0.00")
    # The rest paid by the grace period's last day costs nothing more ...
    last_day = account.grace_period_end
    assert what_if.rest_on(account, outcome, TODAY, last_day, policy) == Decimal("5500.00")
    # ... a day later, penalty on the 5,500 from the due date: 5,500 x 3.85% / 360 x 1.5 x 4 days.
    later = what_if.rest_on(account, outcome, TODAY, last_day + timedelta(days=1), policy)
    assert later == Decimal("5500.00") + cents(Decimal("5500") * Decimal("0.0385") / 360 * Decimal("1.5") * 4)
    assert later == Decimal("5503.53")


@pytest.fixture(scope="module")
def demo_accounts(seeded_db_url, today, policy):
    """Each demo customer's loan (the database rows), by name."""
    with session_scope(seeded_db_url) as session:
        found = {}
        for customer in session.execute(select(Customer).where(Customer.is_demo)).scalars():
            [account] = loans_of_customer(session, customer.id)
            found[customer.name] = (account, session)
        yield {name: account for name, (account, _) in found.items()}


@pytest.mark.parametrize("name, days_later, total_on_day, in_grace", [
    # 张伟: 12,000 + 12,000 x 0.05% x (12 + 7) + 60.00 late fee
    ("张伟", 7, Decimal("12000.00") + cents(Decimal("12000") * Decimal("0.0005") * 19) + Decimal("60.00"), False),
    # 李娜: 2,180 + 2,180 x 4.35% / 360 x 1.5 x 42
    ("李娜", 7, Decimal("2180.00") + cents(Decimal("2180") * Decimal("0.0435") / 360 * Decimal("1.5") * 42), False),
    # 王强: tomorrow is the grace period's last day; a week on, 9 days of penalty on 8,500
    ("王强", 1, Decimal("8500.00"), True),
    ("王强", 7, Decimal("8500.00") + cents(Decimal("8500") * Decimal("0.0385") / 360 * Decimal("1.5") * 9), False),
])
def test_demo_customers_settle_on_a_later_day(demo_accounts, today, policy, name, days_later, total_on_day, in_grace):
    account = demo_accounts[name]
    day = today + timedelta(days=days_later)
    settlement = what_if.settle_on(snapshot_loan(account, today, policy), snapshot_loan(account, day, policy),
                                   day, policy)
    assert settlement.total_on_day == total_on_day
    assert settlement.in_grace_on_day is in_grace
    assert settlement.extra == total_on_day - settlement.total_today
    assert not settlement.next_instalment_included


def test_a_day_after_the_next_due_date_includes_that_instalment(demo_accounts, today, policy):
    account = demo_accounts["王强"]  # 8,500.00 due 2 days ago, the same again a month later
    next_due = min(row.due_date for row in account.schedule if row.due_date > today)
    day = next_due + timedelta(days=1)
    settlement = what_if.settle_on(snapshot_loan(account, today, policy), snapshot_loan(account, day, policy),
                                   day, policy)
    assert settlement.next_instalment_included
    assert settlement.overdue_on_day == Decimal("17000.00")
