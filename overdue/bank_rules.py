"""The bank's collection rules as arithmetic: penalties, card charges, grace and reporting.

Knows nothing of Rasa or the database: figures come in, Decimal figures go out, all
rates from the policy file (``policy.yml``, or the path in ``LOAN_POLICY_PATH``).
"""

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from overdue.identity_rules import IdentityRules
from overdue.money import format_rate, to_cents
from settings import current

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "policy.yml"


@dataclass(frozen=True)
class ReminderRules:
    """When the bank writes first, and the fair-collection limits on it (``reminders``)."""

    days_before_due: tuple[int, ...]
    days_overdue: tuple[int, ...]
    quiet_start: time
    quiet_end: time
    max_per_day: int
    max_per_week: int
    busy_minutes: int
    send_attempts: int
    web_waiting_days: int
    opt_out_words: tuple[str, ...]
    opt_in_words: tuple[str, ...]
    run_every_minutes: int

    @classmethod
    def from_dict(cls, raw: dict) -> "ReminderRules":
        return cls(
            days_before_due=tuple(int(d) for d in raw["days_before_due"]),
            days_overdue=tuple(int(d) for d in raw["days_overdue"]),
            quiet_start=time.fromisoformat(raw["quiet_hours"]["start"]),
            quiet_end=time.fromisoformat(raw["quiet_hours"]["end"]),
            max_per_day=int(raw["max_per_day"]),
            max_per_week=int(raw["max_per_week"]),
            busy_minutes=int(raw["busy_minutes"]),
            send_attempts=int(raw["send_attempts"]),
            web_waiting_days=int(raw["web_waiting_days"]),
            opt_out_words=tuple(str(w) for w in raw["opt_out_words"]),
            opt_in_words=tuple(str(w) for w in raw["opt_in_words"]),
            run_every_minutes=int(raw["run_every_minutes"]),
        )


@dataclass(frozen=True)
class BankRules:
    grace_period_days: int
    loan_penalty_multiplier: Decimal
    loan_day_count_basis: int
    card_daily_interest_rate: Decimal
    card_late_fee_rate: Decimal
    report_after_grace: bool
    record_retention_years: int
    identity_max_attempts: int
    identity: IdentityRules
    repayment_channels: tuple[str, ...]
    deferral_max_days_overdue: int
    deferral_cooldown_months: int
    deferral_min_months: int
    deferral_max_months: int
    card_installment_terms: tuple[int, ...]
    card_installment_monthly_fee_rate: Decimal
    negotiation_review_working_days: int
    promise_max_days_ahead: int
    waiver_max_days_overdue: int
    waiver_clean_history_months: int
    payment_posting_hours: int
    form_max_bad_answers: int
    service_opens: time
    service_closes: time
    agent_present_minutes: int
    minutes_per_waiting_ticket: int
    reminders: ReminderRules
    target_wait_minutes: int  # a ticket waiting longer is flagged on the supervisor's dashboard

    @classmethod
    def from_dict(cls, raw: dict) -> "BankRules":
        return cls(
            grace_period_days=int(raw["grace_period_days"]),
            loan_penalty_multiplier=Decimal(str(raw["loan"]["penalty_rate_multiplier"])),
            loan_day_count_basis=int(raw["loan"]["day_count_basis"]),
            card_daily_interest_rate=Decimal(str(raw["credit_card"]["daily_interest_rate"])),
            card_late_fee_rate=Decimal(str(raw["credit_card"]["late_fee_rate"])),
            report_after_grace=bool(raw["credit_report"]["report_after_grace"]),
            record_retention_years=int(raw["credit_report"]["record_retention_years"]),
            identity_max_attempts=int(raw["identity"]["max_attempts"]),
            identity=IdentityRules.from_dict(raw["identity"]),
            repayment_channels=tuple(raw["repayment_channels"]),
            deferral_max_days_overdue=int(raw["deferral"]["max_days_overdue"]),
            deferral_cooldown_months=int(raw["deferral"]["cooldown_months"]),
            deferral_min_months=int(raw["deferral"]["min_months"]),
            deferral_max_months=int(raw["deferral"]["max_months"]),
            card_installment_terms=tuple(int(t) for t in raw["installment"]["card_terms"]),
            card_installment_monthly_fee_rate=Decimal(
                str(raw["installment"]["card_monthly_fee_rate"])
            ),
            negotiation_review_working_days=int(raw["installment"]["review_working_days"]),
            promise_max_days_ahead=int(raw["promise_to_pay"]["max_days_ahead"]),
            waiver_max_days_overdue=int(raw["penalty_waiver"]["max_days_overdue"]),
            waiver_clean_history_months=int(raw["penalty_waiver"]["clean_history_months"]),
            payment_posting_hours=int(raw["payment_posting"]["hours"]),
            form_max_bad_answers=int(raw["forms"]["max_bad_answers"]),
            service_opens=time.fromisoformat(raw["human_service"]["opens"]),
            service_closes=time.fromisoformat(raw["human_service"]["closes"]),
            agent_present_minutes=int(raw["human_service"]["agent_present_minutes"]),
            minutes_per_waiting_ticket=int(raw["human_service"]["minutes_per_waiting_ticket"]),
            reminders=ReminderRules.from_dict(raw["reminders"]),
            target_wait_minutes=int(raw["human_service"]["target_wait_minutes"]),
        )


@lru_cache(maxsize=4)
def _load(path: str) -> BankRules:
    with open(path, encoding="utf-8") as handle:
        return BankRules.from_dict(yaml.safe_load(handle))


def load_bank_rules(path: str | None = None) -> BankRules:
    """The policy in force; read once per path."""
    return _load(path or str(current().loan_policy_path))


def days_overdue(due_date: date, today: date) -> int:
    """Days since the due date; 0 on or before it."""
    return max((today - due_date).days, 0)


def grace_period_end(due_date: date, policy: BankRules) -> date:
    """Last day on which paying in full costs nothing extra and is not reported."""
    return due_date + timedelta(days=policy.grace_period_days)


def within_grace(due_date: date, today: date, policy: BankRules) -> bool:
    return today <= grace_period_end(due_date, policy)


def loan_daily_penalty(overdue_amount: Decimal, annual_rate: Decimal, policy: BankRules) -> Decimal:
    """Unrounded penalty interest per day: overdue x annual rate / basis x multiplier."""
    return (
        overdue_amount * annual_rate / policy.loan_day_count_basis * policy.loan_penalty_multiplier
    )


def loan_penalty(
    overdue_amount: Decimal, annual_rate: Decimal, due_date: date, today: date, policy: BankRules
) -> Decimal:
    """Penalty interest accrued so far, from the day after the due date.

    Inside the grace period it is waived, so it is zero while the customer can still
    pay without charge.
    """
    if within_grace(due_date, today, policy):
        return to_cents(0)
    daily = loan_daily_penalty(overdue_amount, annual_rate, policy)
    return to_cents(daily * days_overdue(due_date, today))


@dataclass(frozen=True)
class CardCharges:
    interest: Decimal
    late_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.late_fee


def card_charges(
    unpaid_balance: Decimal,
    unpaid_minimum: Decimal,
    due_date: date,
    today: date,
    policy: BankRules,
) -> CardCharges:
    """Daily interest on the unpaid statement balance plus the late fee on the unpaid minimum."""
    if within_grace(due_date, today, policy):
        return CardCharges(to_cents(0), to_cents(0))
    days = days_overdue(due_date, today)
    interest = to_cents(unpaid_balance * policy.card_daily_interest_rate * days)
    late_fee = (
        to_cents(unpaid_minimum * policy.card_late_fee_rate) if unpaid_minimum > 0 else to_cents(0)
    )
    return CardCharges(interest, late_fee)


def is_reportable(due_date: date, today: date, policy: BankRules) -> bool:
    """An overdue past the grace period goes to the credit reference centre."""
    return policy.report_after_grace and not within_grace(due_date, today, policy)


def record_removal_date(settled_on: date, policy: BankRules) -> date:
    """A credit-report record stays this long after the overdue is settled."""
    try:
        return settled_on.replace(year=settled_on.year + policy.record_retention_years)
    except ValueError:  # settled on 29 February
        return settled_on.replace(year=settled_on.year + policy.record_retention_years, day=28)


def within_service_hours(moment_time: time, policy: BankRules) -> bool:
    """Whether people answer now (China time)."""
    return policy.service_opens <= moment_time < policy.service_closes


def within_quiet_hours(moment_time: time, rules: ReminderRules) -> bool:
    """Whether it is too late or too early (China time) to write to a customer first."""
    if rules.quiet_start <= rules.quiet_end:
        return rules.quiet_start <= moment_time < rules.quiet_end
    return moment_time >= rules.quiet_start or moment_time < rules.quiet_end  # across midnight


def policy_values(policy: BankRules) -> dict[str, Any]:
    """The policy's figures as the responses print them."""
    return {
        "grace_days": policy.grace_period_days,
        "day_count_basis": policy.loan_day_count_basis,
        "penalty_multiplier": f"{policy.loan_penalty_multiplier.normalize():f}",
        "card_daily_rate": format_rate(policy.card_daily_interest_rate),
        "card_late_fee_rate": format_rate(policy.card_late_fee_rate),
        "retention_years": policy.record_retention_years,
    }
