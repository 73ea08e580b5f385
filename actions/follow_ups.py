"""Follow-ups in context (chosen by dialogue/context_policy.py): the rule behind the answer just
given ("为什么 / 为什么不行"), and what else this customer can do ("还有别的办法吗 / 有没有
便宜点的"), each option a quick reply (WeChat shows them as numbered options)."""

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from actions.request_forms import verified_loans
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules, load_bank_rules, policy_values
from overdue.clock import format_day, today_in_china
from overdue.money import format_yuan
from overdue.options import GENERAL, options_for

logger = logging.getLogger(__name__)

TOPIC_SLOT = "followup_topic"
MENU = "utter_options_menu"


def topic_after_answer(request: str | None, loans: list[LoanSnapshot]) -> str | None:
    """What a "为什么" right after an account answer asks about."""
    overdue = [loan for loan in loans if loan.is_overdue]
    if not overdue:
        return None
    first = overdue[0]
    if request in ("ask_overdue_status", "ask_penalty", "ask_what_if"):
        if first.in_grace:
            return "grace"
        return "charges_card" if first.is_card else "charges_loan"
    if request == "ask_credit_impact":
        return "credit_reported" if first.reported else "grace"
    return None


def option_buttons(options: list[str], domain: dict[str, Any]) -> list[dict[str, str]]:
    """The menu's buttons for these options, in their order.

    Titles and payloads come from the domain.
    """
    menu = domain["responses"][MENU][0]["buttons"]
    return [menu[GENERAL.index(option)] for option in options]


def offer_options(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], policy: BankRules
) -> None:
    """This customer's options as quick replies; the general ones before the identity check."""
    if not tracker.get_slot("verified"):
        dispatcher.utter_message(
            response="utter_options_intro_general",
            buttons=option_buttons(options_for(None, today_in_china(), policy), domain),
        )
        return
    loans = verified_loans(tracker, policy)
    for loan in loans:
        if loan.in_grace:
            dispatcher.utter_message(
                response="utter_options_grace",
                grace_period_end=format_day(loan.grace_period_end),
                overdue_amount=format_yuan(loan.overdue_amount),
            )
    dispatcher.utter_message(
        response="utter_options_intro",
        buttons=option_buttons(options_for(loans, today_in_china(), policy), domain),
    )


def why_values(topic: str, loans: list[LoanSnapshot], policy: BankRules) -> dict[str, Any]:
    overdue = [loan for loan in loans if loan.is_overdue] or loans
    loan = next((lo for lo in overdue if not lo.is_card), overdue[0]) if overdue else None
    values: dict[str, Any] = {
        **policy_values(policy),
        "cooldown_months": policy.deferral_cooldown_months,
        "max_days": policy.waiver_max_days_overdue
        if topic.startswith("waiver")
        else policy.deferral_max_days_overdue,
        "clean_months": policy.waiver_clean_history_months,
    }
    if loan is not None:
        values["days_overdue"] = loan.days_overdue
        values["last_deferral"] = format_day(loan.last_deferral_granted_on)
    return values


class ActionExplainWhy(BankAction):
    """The rule behind the refusal or the figure just given, in plain words; after a refusal,
    what else fits this customer."""

    def name(self) -> str:
        return "action_explain_why"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        topic = tracker.get_slot(TOPIC_SLOT)
        response = f"utter_why_{topic}"
        if not topic or response not in domain.get("responses", {}):
            dispatcher.utter_message(response="utter_how_else_can_i_help")
            return []
        loans = verified_loans(tracker, policy) if tracker.get_slot("verified") else []
        dispatcher.utter_message(response=response, **why_values(topic, loans, policy))
        if "refused" in topic:
            offer_options(dispatcher, tracker, domain, policy)
        return [SlotSet(TOPIC_SLOT, None)]


class ActionOfferOptions(BankAction):
    """What else this customer can do, in a sensible order, one quick reply each."""

    def name(self) -> str:
        return "action_offer_options"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        offer_options(dispatcher, tracker, domain, load_bank_rules())
        return []
