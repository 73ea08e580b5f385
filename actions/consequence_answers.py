"""Answers "what happens if I do not pay" from the knowledge file (overdue/consequences.py):
the general rule with its source before the identity check, the customer's own stage after
it, and always what they can do now. Collection that breaks the rules, described by the
customer, is a complaint: a person takes it, with priority."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import hand_over
from actions.follow_ups import offer_options
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules
from overdue.clock import today_in_china
from overdue.consequences import answer, describes_misconduct, load_knowledge


def answer_consequences(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    text: str,
    loans: list[LoanSnapshot] | None,
    policy: BankRules,
) -> list[dict[str, Any]]:
    """``loans`` None: not verified (the general rule only, no account fact)."""
    if describes_misconduct(text):
        dispatcher.utter_message(response="utter_consequences_misconduct")
        return hand_over("complaint")
    for said in answer(text, loans, today_in_china(), policy, load_knowledge()):
        # The law or rule behind a general fact is named; an account fact speaks for itself.
        dispatcher.utter_message(
            response="utter_consequence_fact" if said.general else "utter_consequence_own",
            fact=said.text,
            source=said.source,
        )
    if loans is None:
        dispatcher.utter_message(response="utter_consequences_verify_for_own")
    dispatcher.utter_message(response="utter_consequences_what_you_can_do")
    offer_options(dispatcher, tracker, domain, policy)
    return []
