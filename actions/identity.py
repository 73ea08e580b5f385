"""Who is this customer? The identity check in front of every account fact.

Only these actions set ``verified`` and ``customer_id``: no slot that carries identity
is ever filled from entities, so nothing a customer types can mark them verified.
"""
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from actions.clock import now_in_china
from actions.identity_digits import find_identity_digits
from actions.policy import load_policy
from actions.request_forms import ANSWER_INTENTS
from loandb.models import Customer
from loandb.queries import bind_openid, customer_by_openid, customers_by_identity
from loandb.session import session_scope
from reminders.store import remember_conversation

logger = logging.getLogger(__name__)

FORM = "identity_form"
REMEDIES = {"request_deferral", "request_installment", "promise_to_pay", "request_penalty_waiver",
            "report_payment_made"}
# Answered only for a verified customer; the others have a general answer.
NEEDS_IDENTITY = {"ask_overdue_status", "ask_credit_impact"} | REMEDIES


def is_locked(tracker: Tracker) -> bool:
    """Too many failed checks: stop asking for this session."""
    return (tracker.get_slot("identity_failures") or 0) >= load_policy().identity_max_attempts


def _candidate_pairs(
    id_hint: Optional[str], phone_hint: Optional[str], unlabeled: List[str], both_labelled: bool
) -> List[Tuple[str, str]]:
    """(ID, phone) pairs worth checking.

    Only a message that labels both numbers fixes their order; otherwise both orders are
    tried, since customers often send bare digits in whichever order they think of.
    """
    if both_labelled:
        return [(id_hint, phone_hint)]
    values = list(dict.fromkeys(v for v in (id_hint, phone_hint, *unlabeled) if v))
    if len(values) < 2:
        return []
    first, second = values[:2]
    # An ID tail may end in X; a phone tail never does.
    return [(i, p) for i, p in ((first, second), (second, first)) if not p.endswith("X")]


def _match(sender_id: str, pairs: List[Tuple[str, str]]) -> Optional[Tuple[Customer, str, str]]:
    """The one customer these digits identify; a WeChat-bound sender can only be themself."""
    with session_scope() as session:
        bound = customer_by_openid(session, sender_id)
        for id_last4, phone_last4 in pairs:
            if bound is not None:
                if (bound.id_last4, bound.phone_last4) == (id_last4, phone_last4):
                    return bound, id_last4, phone_last4
                continue
            matches = customers_by_identity(session, id_last4, phone_last4)
            if len(matches) == 1:  # several customers share these tails: not proof of who
                return matches[0], id_last4, phone_last4
    return None


class ValidateIdentityForm(BankAction):
    """Extracts and checks the digits while ``identity_form`` is active."""

    def name(self) -> Text:
        return "validate_identity_form"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]):
        if tracker.active_loop.get("name") != FORM:
            return []
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.latest_action_name != "action_listen" and intent != "inform":
            # The form is opening on the request itself (我下周五还3000): its numbers are not digits of identity.
            return []
        digits = find_identity_digits(tracker.latest_message.get("text") or "")
        if not digits.found_any:
            if intent in ANSWER_INTENTS:
                # Meant as an answer, but without digits: say what is expected.
                dispatcher.utter_message(response="utter_identity_digits_expected")
                return [SlotSet("bad_answers", int(tracker.get_slot("bad_answers") or 0) + 1)]
            return []  # the form rejects, and the message is answered as what it is
        id_last4 = digits.id_last4 or tracker.get_slot("id_last4")
        phone_last4 = digits.phone_last4 or tracker.get_slot("phone_last4")
        unlabeled = [d for d in digits.unlabeled if d not in (id_last4, phone_last4)]
        both_labelled = bool(digits.id_last4 and digits.phone_last4)
        pairs = _candidate_pairs(id_last4, phone_last4, unlabeled, both_labelled)
        if not pairs:
            # One of the two so far: keep it and let the form ask for the other.
            if not id_last4 and not phone_last4 and unlabeled:
                asked = tracker.get_slot("requested_slot") or "id_last4"
                return [SlotSet(asked, unlabeled[0])]
            return [SlotSet("id_last4", id_last4), SlotSet("phone_last4", phone_last4)]

        match = _match(tracker.sender_id, pairs)
        if match:
            customer, id_last4, phone_last4 = match
            logger.info("conversation %s verified as customer %s", tracker.sender_id, customer.id)
            channel = tracker.get_latest_input_channel() or "unknown"
            with session_scope() as session:
                if channel == "wechat":
                    # WeChat's sender is the openid: recognise this customer next time.
                    bind_openid(session, customer.id, tracker.sender_id)
                # Where a reminder can reach a web or REST customer later.
                remember_conversation(session, customer.id, tracker.sender_id, channel, now_in_china())
            dispatcher.utter_message(response="utter_identity_verified", customer_name=customer.name)
            return [
                SlotSet("id_last4", id_last4),
                SlotSet("phone_last4", phone_last4),
                SlotSet("verified", True),
                SlotSet("customer_id", customer.id),
                SlotSet("customer_name", customer.name),
                SlotSet("identity_failures", 0),
            ]

        failures = int(tracker.get_slot("identity_failures") or 0) + 1
        limit = load_policy().identity_max_attempts
        logger.info("conversation %s failed identity check %d of %d", tracker.sender_id, failures, limit)
        events = [SlotSet("identity_failures", failures), SlotSet("id_last4", None), SlotSet("phone_last4", None)]
        if failures >= limit:
            return events + [SlotSet("requested_slot", None)]  # ends the form; the answer explains
        # Never say which of the two was wrong.
        dispatcher.utter_message(response="utter_identity_mismatch", remaining=limit - failures)
        return events
