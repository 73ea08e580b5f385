"""Who is this customer? The identity check in front of every account fact.

Two factors: the last four digits of the ID and phone numbers (something the customer
knows), then a one-time code sent by SMS to the phone on file (something they have). Or
the bank's own login, when the web page passed a signed token that the socket channel
checked (``bank_login_customer_id`` in the message's metadata, set only by that channel).

Only these actions set ``verified`` and ``customer_id``: no slot that carries identity is
ever filled from entities, so nothing a customer types can mark them verified. Failures
are counted in the database (loandb/identity_store.py), per customer, per source and
overall, so a new conversation, another channel or a restart does not start them afresh.
"""

import logging
import re
import unicodedata
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from actions.request_forms import ANSWER_INTENTS
from loandb import identity_store as store
from loandb.models import Customer
from loandb.queries import customer_by_id, customers_by_identity
from loandb.reminder_store import remember_conversation
from loandb.session import session_scope
from overdue.bank_rules import load_bank_rules
from overdue.clock import now_in_china
from overdue.identity_digits import find_identity_digits
from overdue.identity_rules import IdentityRules, phone_tail
from overdue.remedies import REMEDY_INTENTS
from sms import SmsError, SmsMessage, gateway_from_env

logger = logging.getLogger(__name__)

FORM = "identity_form"
CODE_SLOT = "otp_code"
BANK_LOGIN_KEY = "bank_login_customer_id"
BANK_LOGIN_CHANNELS = {"socketio"}  # the only channel that checks the bank's signed token
# Answered only for a verified customer; the others have a general answer.
NEEDS_IDENTITY = {"ask_overdue_status", "ask_credit_impact", "ask_what_if", *REMEDY_INTENTS}
# Why verification stopped (slot identity_blocked), and what the customer is told.
BLOCK_RESPONSES = {
    "attempts": "utter_identity_locked",
    "customer_locked": "utter_identity_customer_locked",
    "source_blocked": "utter_identity_source_blocked",
    "sms_failed": "utter_identity_sms_failed",
}
_CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
_RESEND_WORDS = ("重新发送", "重发", "再发", "没收到", "没有收到", "收不到")


def _bare(text: str) -> str:
    """As the NLU reads it: NFKC, no spaces or zero-width characters."""
    normalized = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in normalized if not c.isspace() and unicodedata.category(c) != "Cf")


def find_code(text: str, rules: IdentityRules) -> str | None:
    pattern = (
        _CODE
        if rules.code_digits == 6
        else re.compile(rf"(?<![0-9])([0-9]{{{rules.code_digits}}})(?![0-9])")
    )
    match = pattern.search(_bare(text))
    return match.group(1) if match else None


def asks_for_new_code(text: str) -> bool:
    bare = _bare(text)
    return any(word in bare for word in _RESEND_WORDS)


def sources(tracker: Tracker) -> list[str]:
    """Where this attempt comes from, as the failure counts know it."""
    channel = tracker.get_latest_input_channel() or "unknown"
    kind = {"wechat": "openid", "socketio": "session"}.get(channel, "conversation")
    found = [f"{kind}:{tracker.sender_id}"]
    metadata = tracker.latest_message.get("metadata") or {}
    address = metadata.get("client_address") if isinstance(metadata, dict) else None
    if isinstance(address, str) and address:
        found.append(f"address:{address[:100]}")  # set by the channel from the connection
    return found


def is_locked(tracker: Tracker) -> bool:
    """Verification has stopped for this conversation: too many failed checks in it, a
    locked customer, a blocked source, or no way to send the code."""
    if tracker.get_slot("identity_blocked"):
        return True
    if (tracker.get_slot("identity_failures") or 0) >= load_bank_rules().identity_max_attempts:
        return True
    with session_scope() as session:
        return store.blocked_source(
            session, sources(tracker), now_in_china(), load_bank_rules().identity
        )


def block_response(tracker: Tracker) -> str:
    return BLOCK_RESPONSES.get(
        tracker.get_slot("identity_blocked") or "attempts", "utter_identity_locked"
    )


def fresh_identity_slots() -> list[dict[str, Any]]:
    """A new identity check starts from the digits, whatever an earlier one left behind."""
    return [
        SlotSet("id_last4", None),
        SlotSet("phone_last4", None),
        SlotSet(CODE_SLOT, None),
        SlotSet("identity_candidate_id", None),
    ]


def verified_events(customer: Customer, method: str) -> list[dict[str, Any]]:
    return [
        SlotSet("verified", True),
        SlotSet("customer_id", customer.id),
        SlotSet("customer_name", customer.name),
        SlotSet("identity_failures", 0),
        SlotSet("identity_candidate_id", None),
        SlotSet("identity_method", method),
    ]


def bank_login_events(tracker: Tracker) -> list[dict[str, Any]]:
    """Verified by the bank's own login: the socket channel checked the page's signed token
    and put the customer id on the message. Nothing else counts: no other channel sets it
    (and each drops a client's copy), and no slot or text can."""
    if tracker.get_latest_input_channel() not in BANK_LOGIN_CHANNELS:
        return []
    metadata = tracker.latest_message.get("metadata") or {}
    customer_id = metadata.get(BANK_LOGIN_KEY) if isinstance(metadata, dict) else None
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        return []
    with session_scope() as session:
        customer = customer_by_id(session, customer_id)
        if customer is None:
            return []
        remember_conversation(session, customer.id, tracker.sender_id, "socketio", now_in_china())
        logger.info(
            "conversation %s verified by the bank's login as customer %s",
            tracker.sender_id,
            customer.id,
        )
        return verified_events(customer, "bank_login")


def _candidate_pairs(
    id_hint: str | None, phone_hint: str | None, unlabeled: list[str], both_labelled: bool
) -> list[tuple[str, str]]:
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


def _match(
    session, sender_id: str, pairs: list[tuple[str, str]], rules: IdentityRules
) -> tuple[Customer, str, str] | None:
    """The one customer these digits identify; a WeChat-bound sender can only be themself."""
    bound = store.customer_bound_to(session, sender_id, now_in_china(), rules)
    for id_last4, phone_last4 in pairs:
        if bound is not None:
            if (bound.id_last4, bound.phone_last4) == (id_last4, phone_last4):
                return bound, id_last4, phone_last4
            continue
        matches = customers_by_identity(session, id_last4, phone_last4)
        if len(matches) == 1:  # several customers share these tails: not proof of who
            return matches[0], id_last4, phone_last4
    return None


def stop(reason: str) -> list[dict[str, Any]]:
    """Ends the form without verifying; the request then gets the calm explanation and a person."""
    return [
        SlotSet("identity_blocked", reason),
        SlotSet("identity_candidate_id", None),
        SlotSet("id_last4", None),
        SlotSet("phone_last4", None),
        SlotSet(CODE_SLOT, None),
        SlotSet("requested_slot", None),
    ]


def send_code(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    customer: Customer,
    rules: IdentityRules,
    session,
) -> str | None:
    """Sends a new code to the customer's phone on file. Returns None when sent, else why not
    (a resend refused: "too_soon" / "hourly_limit" is told to the customer; "sms_failed")."""
    issued = store.issue_code(session, customer, tracker.sender_id, now_in_china(), rules)
    if issued.code is None:
        refusal = issued.refusal
        response = (
            "utter_otp_resend_wait" if refusal.reason == "too_soon" else "utter_otp_resend_limit"
        )
        dispatcher.utter_message(
            response=response,
            seconds=refusal.wait_seconds,
            minutes=max(1, (refusal.wait_seconds + 59) // 60),
        )
        return refusal.reason
    template = ((domain.get("responses") or {}).get("utter_sms_one_time_code") or [{}])[0].get(
        "text"
    )
    if not template:
        logger.error(
            "utter_sms_one_time_code is missing from the domain: the SMS carries the code alone"
        )
        template = "{code}"
    text = template.format(code=issued.code, minutes=rules.code_valid_minutes)
    try:
        gateway_from_env().send(
            SmsMessage(customer.phone, text, (issued.code, str(rules.code_valid_minutes)))
        )
    except SmsError as error:
        logger.error(
            "conversation %s: the one-time code could not be sent: %s", tracker.sender_id, error
        )
        return "sms_failed"
    logger.info(
        "conversation %s: one-time code sent to the phone ending %s",
        tracker.sender_id,
        phone_tail(customer.phone),
    )
    return None


def _code_sent_this_turn(tracker: Tracker) -> bool:
    """The digits matched in the customer's last message (so the code has just gone out)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if (
            event.get("event") == "slot"
            and event.get("name") == "identity_candidate_id"
            and event.get("value")
        ):
            return True
    return False


class ActionAskOtpCode(BankAction):
    """Asks for the code, saying where it went and for how long it is valid."""

    def name(self) -> str:
        return "action_ask_otp_code"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        rules = load_bank_rules().identity
        response = (
            "utter_ask_otp_code" if _code_sent_this_turn(tracker) else "utter_ask_otp_code_again"
        )
        dispatcher.utter_message(
            response=response,
            phone_tail=tracker.get_slot("phone_last4") or "",
            minutes=rules.code_valid_minutes,
            digits=rules.code_digits,
        )
        return []


class ValidateIdentityForm(BankAction):
    """Extracts and checks the digits, then the code, while ``identity_form`` is active."""

    def name(self) -> str:
        return "validate_identity_form"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.active_loop.get("name") != FORM:
            return []
        login = bank_login_events(tracker)
        if login:
            dispatcher.utter_message(
                response="utter_identity_verified",
                customer_name=next(e["value"] for e in login if e["name"] == "customer_name"),
            )
            return [*login, SlotSet("requested_slot", None)]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.latest_action_name != "action_listen" and intent != "inform":
            # The form is opening on the request itself (我下周五还3000): its numbers are not
            # digits of identity.
            return []
        rules = load_bank_rules().identity
        with session_scope() as session:
            if store.blocked_source(session, sources(tracker), now_in_china(), rules):
                logger.warning(
                    "conversation %s: identity source blocked after repeated failures",
                    tracker.sender_id,
                )
                return stop("source_blocked")
            if tracker.get_slot("identity_candidate_id"):
                return self.code_step(dispatcher, tracker, domain, intent, rules, session)
            return self.digits_step(dispatcher, tracker, domain, intent, rules, session)

    def digits_step(
        self, dispatcher, tracker: Tracker, domain, intent, rules: IdentityRules, session
    ):
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

        match = _match(session, tracker.sender_id, pairs, rules)
        now = now_in_china()
        if match:
            customer, id_last4, phone_last4 = match
            if store.active_lock(session, customer.id, now) is not None:
                logger.info(
                    "conversation %s: customer %s is locked; a person takes over",
                    tracker.sender_id,
                    customer.id,
                )
                return stop("customer_locked")
            refused = send_code(dispatcher, tracker, domain, customer, rules, session)
            if refused == "sms_failed":
                return stop("sms_failed")
            # The first factor passed: now the code. Nothing about the account is said yet.
            return [
                SlotSet("id_last4", id_last4),
                SlotSet("phone_last4", phone_last4),
                SlotSet("identity_candidate_id", customer.id),
                SlotSet(CODE_SLOT, None),
            ]

        tails = [t for pair in pairs for t in pair]
        outcome = store.record_failure(
            session,
            "digits",
            store.customers_with_tails(session, tails),
            sources(tracker),
            now,
            rules,
        )
        failures = int(tracker.get_slot("identity_failures") or 0) + 1
        limit = load_bank_rules().identity_max_attempts
        logger.info(
            "conversation %s failed identity check %d of %d", tracker.sender_id, failures, limit
        )
        events = [
            SlotSet("identity_failures", failures),
            SlotSet("id_last4", None),
            SlotSet("phone_last4", None),
        ]
        if outcome.source_blocked:
            return events + stop("source_blocked")
        if failures >= limit:
            return [*events, SlotSet("requested_slot", None)]  # ends the form; the answer explains
        # Never say which of the two was wrong.
        dispatcher.utter_message(response="utter_identity_mismatch", remaining=limit - failures)
        return events

    def code_step(
        self, dispatcher, tracker: Tracker, domain, intent, rules: IdentityRules, session
    ):
        text = tracker.latest_message.get("text") or ""
        candidate = customer_by_id(session, int(tracker.get_slot("identity_candidate_id")))
        now = now_in_china()
        if candidate is None or store.active_lock(session, candidate.id, now) is not None:
            return stop("customer_locked")
        code = find_code(text, rules)
        if code is None and find_identity_digits(text).found_any:
            # The digits again (other ones, perhaps): the check starts over from them.
            return [
                SlotSet("identity_candidate_id", None),
                *self.digits_step(dispatcher, tracker, domain, intent, rules, session),
            ]
        if code is None:
            if asks_for_new_code(text):
                refused = send_code(dispatcher, tracker, domain, candidate, rules, session)
                if refused == "sms_failed":
                    return stop("sms_failed")
                if refused is None:
                    dispatcher.utter_message(response="utter_otp_resent")
                return [SlotSet(CODE_SLOT, None)]  # asked again
            if intent in ANSWER_INTENTS:
                dispatcher.utter_message(response="utter_otp_expected", digits=rules.code_digits)
                return [SlotSet("bad_answers", int(tracker.get_slot("bad_answers") or 0) + 1)]
            return []  # a person, a question: the form rejects and it is answered as what it is

        check = store.check_code(session, tracker.sender_id, code, now, rules)
        if check.outcome == "verified" and check.customer_id == candidate.id:
            return self.verified(dispatcher, tracker, candidate, rules, session)
        if check.outcome in ("expired", "none"):
            dispatcher.utter_message(response="utter_otp_expired", minutes=rules.code_valid_minutes)
            return [SlotSet(CODE_SLOT, None)]
        outcome = store.record_failure(
            session, "code", [candidate.id], sources(tracker), now, rules
        )
        if candidate.id in outcome.locked_customers:
            return stop("customer_locked")
        if outcome.source_blocked:
            return stop("source_blocked")
        if check.outcome == "voided":
            dispatcher.utter_message(response="utter_otp_voided")
        else:
            dispatcher.utter_message(response="utter_otp_wrong", remaining=check.remaining)
        return [SlotSet(CODE_SLOT, None)]

    def verified(
        self, dispatcher, tracker: Tracker, customer: Customer, rules: IdentityRules, session
    ):
        logger.info("conversation %s verified as customer %s", tracker.sender_id, customer.id)
        channel = tracker.get_latest_input_channel() or "unknown"
        now = now_in_china()
        if channel == "wechat":
            # WeChat's sender is the openid: bound now, by the digits and the code together.
            store.bind_wechat(session, customer.id, tracker.sender_id, now, rules)
        # Where a reminder can reach a web or REST customer later.
        remember_conversation(session, customer.id, tracker.sender_id, channel, now)
        dispatcher.utter_message(response="utter_identity_verified", customer_name=customer.name)
        return [SlotSet(CODE_SLOT, "passed"), *verified_events(customer, "sms_code")]


class ActionUnbindWechat(BankAction):
    """解绑: the customer's WeChat no longer receives their reminders or is taken as theirs."""

    def name(self) -> str:
        return "action_unbind_wechat"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.get_latest_input_channel() != "wechat":
            dispatcher.utter_message(response="utter_unbind_wechat_only")
            return []
        with session_scope() as session:
            customer_id = store.unbind_wechat(session, tracker.sender_id)
        if customer_id is None:
            dispatcher.utter_message(response="utter_wechat_not_bound")
            return []
        logger.info("openid unbound from customer %s at the customer's request", customer_id)
        dispatcher.utter_message(response="utter_wechat_unbound")
        # Whoever holds this WeChat now must prove who they are again.
        return [
            SlotSet("verified", False),
            SlotSet("customer_id", None),
            SlotSet("customer_name", None),
            SlotSet("identity_method", None),
        ]
