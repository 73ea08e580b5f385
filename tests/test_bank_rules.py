"""The bank's arithmetic, case by case; the three demo customers among the cases."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from overdue import bank_rules as rules
from overdue.bank_rules import BankRules, load_bank_rules

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def policy() -> BankRules:
    return load_bank_rules()


def test_policy_file_holds_the_bank_rules(policy):
    assert policy.grace_period_days == 3
    assert policy.loan_penalty_multiplier == Decimal("1.5")
    assert policy.loan_day_count_basis == 360
    assert policy.card_daily_interest_rate == Decimal("0.0005")
    assert policy.card_late_fee_rate == Decimal("0.05")
    assert policy.record_retention_years == 5
    assert policy.identity_max_attempts == 3


@pytest.mark.parametrize(
    "overdue, rate, days, expected",
    [
        ("2180.00", "0.0435", 35, "13.83"),  # 李娜
        ("8500.00", "0.0385", 2, "0.00"),  # 王强: inside the grace period
        ("8500.00", "0.0385", 3, "0.00"),  # last day of grace
        ("8500.00", "0.0385", 4, "5.45"),  # 8500 x 0.0385 / 360 x 1.5 x 4 = 5.4541..
        ("10000.00", "0.0490", 30, "61.25"),
        ("1000.00", "0.0360", 10, "1.50"),
        ("333.33", "0.0435", 7, "0.42"),  # 0.4228..
        ("2180.00", "0.0435", 0, "0.00"),
        ("100.00", "0.0360", 100, "1.50"),
        # Half-up at the cent: 200 x 0.036 / 360 x 1.5 x 25 = 0.75 exactly, 0.005 boundary below.
        ("200.00", "0.0360", 25, "0.75"),
        ("10.00", "0.0360", 30, "0.05"),  # 0.045 -> 0.05 half-up (banker's would say 0.04)
    ],
)
def test_loan_penalty(policy, overdue, rate, days, expected):
    due = TODAY - timedelta(days=days)
    assert rules.loan_penalty(Decimal(overdue), Decimal(rate), due, TODAY, policy) == Decimal(expected)


@pytest.mark.parametrize(
    "balance, minimum, days, interest, late_fee",
    [
        ("12000.00", "1200.00", 12, "72.00", "60.00"),  # 张伟
        ("12000.00", "1200.00", 3, "0.00", "0.00"),  # grace
        ("5000.00", "500.00", 4, "10.00", "25.00"),
        ("3333.33", "333.33", 10, "16.67", "16.67"),  # 16.66665 -> 16.67
        ("800.00", "0.00", 30, "12.00", "0.00"),  # minimum already paid: no late fee
    ],
)
def test_card_charges(policy, balance, minimum, days, interest, late_fee):
    due = TODAY - timedelta(days=days)
    charges = rules.card_charges(Decimal(balance), Decimal(minimum), due, TODAY, policy)
    assert (charges.interest, charges.late_fee) == (Decimal(interest), Decimal(late_fee))
    assert charges.total == Decimal(interest) + Decimal(late_fee)


def test_zhang_wei_owes_132_in_charges(policy):
    charges = rules.card_charges(
        Decimal("12000"), Decimal("1200"), TODAY - timedelta(days=12), TODAY, policy
    )
    assert charges.total == Decimal("132.00")


@pytest.mark.parametrize(
    "days, reportable",
    [(0, False), (1, False), (2, False), (3, False), (4, True), (12, True), (35, True)],
)
def test_reported_only_after_grace(policy, days, reportable):
    assert rules.is_reportable(TODAY - timedelta(days=days), TODAY, policy) is reportable


def test_grace_period_end_is_due_plus_three_days(policy):
    assert rules.grace_period_end(date(2026, 11, 27), policy) == date(2026, 11, 30)
    assert rules.grace_period_end(date(2026, 12, 30), policy) == date(2027, 1, 2)


@pytest.mark.parametrize(
    "settled, removed",
    [(date(2026, 11, 29), date(2031, 11, 29)), (date(2028, 2, 29), date(2033, 2, 28))],
)
def test_record_stays_five_years_from_settlement(policy, settled, removed):
    assert rules.record_removal_date(settled, policy) == removed


def test_days_overdue_never_negative():
    assert rules.days_overdue(TODAY + timedelta(days=5), TODAY) == 0
    assert rules.days_overdue(TODAY - timedelta(days=35), TODAY) == 35


def test_policy_path_from_environment(tmp_path, monkeypatch):
    text = (load_bank_rules.__globals__["DEFAULT_POLICY_PATH"]).read_text(encoding="utf-8")
    custom = tmp_path / "policy.yml"
    custom.write_text(text.replace("grace_period_days: 3", "grace_period_days: 5"), encoding="utf-8")
    monkeypatch.setenv("LOAN_POLICY_PATH", str(custom))
    assert load_bank_rules().grace_period_days == 5
