"""Answers "what if I pay X now / the minimum / everything on day D" for a verified customer,
with the figures of overdue/what_if.py; the amount and the day are read from the question
(overdue/parsing.py) as of today, China time."""

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_ups import TOPIC_SLOT, topic_after_answer
from actions.loan_choice import find_loan
from loandb.queries import loans_of_customer
from loandb.session import session_scope
from overdue import what_if
from overdue.account_snapshot import LoanSnapshot, snapshot_loan
from overdue.bank_rules import BankRules, record_removal_date
from overdue.clock import format_day, today_in_china
from overdue.money import format_rate, format_yuan
from overdue.parsing import parse_amount, parse_date

MINIMUM_WORDS = ("最低", "最底", "zuidi", "最少还")


def _charge_name(loan: LoanSnapshot) -> str:
    return "利息" if loan.is_card else "罚息"


def _common(loan: LoanSnapshot, policy: BankRules) -> dict[str, Any]:
    return {
        "product_name": loan.product_name,
        "account_tail": loan.account_tail,
        "overdue_amount": format_yuan(loan.overdue_amount),
        "charges": format_yuan(loan.charges),
        "total": format_yuan(what_if.total_to_settle(loan)),
        "charge_name": _charge_name(loan),
        "minimum_due": format_yuan(loan.minimum_due or 0),
        "grace_days": policy.grace_period_days,
        "grace_period_end": format_day(loan.grace_period_end),
        "retention_years": policy.record_retention_years,
        "card_daily_rate": format_rate(policy.card_daily_interest_rate),
        "card_late_fee_rate": format_rate(policy.card_late_fee_rate),
    }


def say_payment(
    dispatcher: CollectingDispatcher,
    loan: LoanSnapshot,
    outcome: what_if.PaymentOutcome,
    today: date,
    policy: BankRules,
) -> None:
    values = _common(loan, policy)
    if outcome.more_than_owed:
        dispatcher.utter_message(
            response="utter_what_if_more_than_owed", **values, paid=format_yuan(outcome.asked)
        )
    if outcome.settles:
        dispatcher.utter_message(
            response="utter_what_if_settles", **values, paid=format_yuan(outcome.paid)
        )
        if outcome.in_grace:
            dispatcher.utter_message(response="utter_what_if_grace_settles", **values)
        elif loan.reported:
            dispatcher.utter_message(
                response="utter_what_if_cleared_record",
                **values,
                removal_date=format_day(record_removal_date(today, policy)),
            )
        return
    dispatcher.utter_message(
        response="utter_what_if_partial",
        **values,
        paid=format_yuan(outcome.paid),
        charges_covered=format_yuan(outcome.charges_covered),
        to_principal=format_yuan(outcome.to_principal),
        remaining=format_yuan(outcome.remaining),
    )
    if outcome.minimum_due:
        dispatcher.utter_message(
            response="utter_what_if_minimum_covered"
            if outcome.minimum_covered
            else "utter_what_if_minimum_short",
            **values,
        )
    if outcome.in_grace:
        dispatcher.utter_message(
            response="utter_what_if_grace_partial",
            **values,
            remaining=format_yuan(outcome.remaining),
        )
        return
    dispatcher.utter_message(
        response="utter_what_if_still_accrues",
        **values,
        remaining_principal=format_yuan(outcome.remaining_principal),
        daily_accrual=format_yuan(outcome.daily_accrual),
    )
    dispatcher.utter_message(response="utter_what_if_still_reported", **values)


def say_settlement(
    dispatcher: CollectingDispatcher,
    loan: LoanSnapshot,
    settlement: what_if.SettlementOn,
    policy: BankRules,
) -> None:
    values = {
        **_common(loan, policy),
        "day": format_day(settlement.day),
        "total_on_day": format_yuan(settlement.total_on_day),
    }
    if settlement.in_grace_on_day:
        dispatcher.utter_message(response="utter_what_if_settle_on_in_grace", **values)
    else:
        dispatcher.utter_message(
            response="utter_what_if_settle_on",
            **values,
            overdue_on_day=format_yuan(settlement.overdue_on_day),
            charges_on_day=format_yuan(settlement.charges_on_day),
            extra=format_yuan(settlement.extra),
        )
    if settlement.next_instalment_included:
        dispatcher.utter_message(response="utter_what_if_next_instalment_included", **values)


def snapshots_on(customer_id: int, day: date, policy: BankRules) -> dict[int, LoanSnapshot]:
    """Each account as it would stand on ``day`` if nothing is paid before."""
    with session_scope() as session:
        return {
            loan.id: snapshot_loan(loan, day, policy)
            for loan in loans_of_customer(session, customer_id)
        }


def answer_what_if(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: str,
    entities: dict[str, str],
    loans: list[LoanSnapshot],
    policy: BankRules,
) -> list[dict[str, Any]]:
    today = today_in_china()
    overdue = [loan for loan in loans if loan.is_overdue]
    if not overdue:
        dispatcher.utter_message(response="utter_what_if_nothing_overdue")
        return []
    named = find_loan(text, [entities["loan_type"]] if "loan_type" in entities else [], overdue)
    targets = [named] if named else overdue
    amount = parse_amount(text)
    day: date | None = parse_date(text, today)
    if day is not None and day < today:
        dispatcher.utter_message(
            response="utter_what_if_day_past",
            total=format_yuan(sum(what_if.total_to_settle(loan) for loan in targets)),
        )
        return []
    later = day if day is not None and day > today else None
    paying = amount is not None and amount > 0
    minimum_asked = any(word in text.lower() for word in MINIMUM_WORDS)
    settling_later = later is not None and not paying and not minimum_asked
    on_day = (
        snapshots_on(int(tracker.get_slot("customer_id")), later, policy) if settling_later else {}
    )
    for loan in targets:
        if paying:
            outcome = what_if.pay_now(loan, amount, policy)
            say_payment(dispatcher, loan, outcome, today, policy)
            if later and not outcome.settles:
                dispatcher.utter_message(
                    response="utter_what_if_rest_on",
                    day=format_day(later),
                    remaining=format_yuan(outcome.remaining),
                    rest_on_day=format_yuan(what_if.rest_on(loan, outcome, today, later, policy)),
                )
        elif settling_later:
            say_settlement(
                dispatcher,
                loan,
                what_if.settle_on(loan, on_day[loan.loan_id], later, policy),
                policy,
            )
        else:
            minimum = what_if.pay_minimum(loan, policy)
            if minimum is None:
                if minimum_asked:
                    dispatcher.utter_message(response="utter_what_if_no_minimum")
                # Nothing to compare with: what settles it today.
                say_payment(
                    dispatcher,
                    loan,
                    what_if.pay_now(loan, what_if.total_to_settle(loan), policy),
                    today,
                    policy,
                )
            else:
                say_payment(dispatcher, loan, minimum, today, policy)
    return [SlotSet(TOPIC_SLOT, topic_after_answer("ask_what_if", targets))]
