"""'I already paid': payments found since the due date are explained; otherwise the date,
amount and channel are collected and a trace request goes to the agents."""

from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from actions.loan_choice import choose_loan
from actions.promise import entity_or_text
from actions.request_forms import BadAnswer, RequestFormValidator, RequestSubmitter, verified_loans
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules
from overdue.clock import today_in_china
from overdue.money import format_yuan
from overdue.parsing import parse_amount, parse_date

CHANNEL_WORDS = (
    "手机银行",
    "app",
    "微信",
    "支付宝",
    "柜台",
    "网点",
    "转账",
    "自动扣款",
    "atm",
    "云闪付",
    "银行卡",
)


def paid_on(tracker: Tracker, text: str, policy: BankRules) -> str:
    today = today_in_china()
    day = parse_date(entity_or_text(tracker, "date", text), today)
    if day is None or day > today:
        raise BadAnswer("utter_payment_date_expected")
    return day.isoformat()


def paid_amount(tracker: Tracker, text: str, policy: BankRules) -> str:
    amount = parse_amount(entity_or_text(tracker, "amount", text))
    if amount is None or amount <= 0:
        raise BadAnswer("utter_payment_amount_expected")
    return str(amount)


def paid_through(tracker: Tracker, text: str, policy: BankRules) -> str:
    lowered = text.lower()
    if not any(word in lowered for word in CHANNEL_WORDS) and len(text.strip()) < 2:
        raise BadAnswer("utter_payment_channel_expected")
    return text.strip()[:50]


class ValidatePaymentTraceForm(RequestFormValidator):
    form = "payment_trace_form"
    flow_intent = "report_payment_made"

    def extractors(self):
        return {
            "chosen_loan_id": lambda tracker, text, policy: choose_loan(
                tracker, text, verified_loans(tracker, policy)
            ),
            "payment_date": paid_on,
            "payment_amount": paid_amount,
            "payment_channel": paid_through,
        }


class ActionSubmitPaymentTrace(RequestSubmitter):
    kind = "payment_trace"
    needs_confirmation = False

    def name(self) -> str:
        return "action_submit_payment_trace"

    def record_fields(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return {
            "target_date": date.fromisoformat(tracker.get_slot("payment_date")),
            "amount": Decimal(tracker.get_slot("payment_amount")),
            "channel": tracker.get_slot("payment_channel"),
        }

    def confirm(self, dispatcher, reference, fields, loan, policy) -> None:
        dispatcher.utter_message(
            response="utter_payment_trace_submitted",
            reference=reference,
            amount=format_yuan(fields["amount"]),
            hours=policy.payment_posting_hours,
        )
