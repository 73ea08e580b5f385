"""Customer satisfaction (满意度): at the end of a conversation (a goodbye, a finished request,
an agent's hand-back) the customer is asked once for a 1-5 rating on their own channel, then
for any words; both are kept in the loan database (``satisfaction_ratings``).

Asked once per conversation, and once more for each ticket an agent hands back, so a
customer is never asked twice for the same thing. The buttons send
``/rate_satisfaction{"satisfaction_score": "n"}``; typed ratings right after the question are
read by dialogue/satisfaction_policy.py, and a customer who writes something else is answered
as usual (the question is not asked again).
"""

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from loandb.satisfaction import add_words, change_score, save_rating
from loandb.session import session_scope
from overdue.clock import now_in_china
from overdue.masking import mask_numbers
from overdue.satisfaction_replies import nothing_to_add, rating_in

logger = logging.getLogger(__name__)

ASKED, RATED, DONE = "asked", "rated", "done"
LOW_SCORES = (1, 2)


def ask_for_rating(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    ticket_id: int | None = None,
    response: str = "utter_ask_satisfaction",
) -> list[dict[str, Any]]:
    """Asks for a rating (``response``, with the buttons) unless this conversation (or, handed
    back, this ticket) was asked already; then nothing is said and no event returned."""
    stage = tracker.get_slot("satisfaction_stage")
    if stage and (ticket_id is None or tracker.get_slot("satisfaction_ticket_id") == ticket_id):
        return []
    dispatcher.utter_message(response=response)
    return [
        SlotSet("satisfaction_stage", ASKED),
        SlotSet("satisfaction_ticket_id", ticket_id),
        SlotSet("satisfaction_rating_id", None),
    ]


def _score_from_buttons(tracker: Tracker) -> int | None:
    for entity in tracker.latest_message.get("entities") or []:
        value = str(entity.get("value")).strip()
        if entity.get("entity") == "satisfaction_score" and value in {"1", "2", "3", "4", "5"}:
            return int(value)
    return None


class ActionAskSatisfaction(BankAction):
    def name(self) -> str:
        return "action_ask_satisfaction"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        return ask_for_rating(dispatcher, tracker)


class ActionReadSatisfaction(BankAction):
    """Keeps a rating (from a button or typed), then the customer's words after it."""

    def name(self) -> str:
        return "action_read_satisfaction"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        score, words = _score_from_buttons(tracker), ""
        if (
            score is None
            and tracker.get_slot("satisfaction_stage") == RATED
            and intent != "rate_satisfaction"
        ):
            return self._words(dispatcher, tracker, text, intent)
        if score is None:
            score, words = rating_in(text) or (None, "")
        if score is None:  # a payload without a score: nothing to keep
            dispatcher.utter_message(response="utter_how_else_can_i_help")
            return []
        words = "" if nothing_to_add(words) else mask_numbers(words)
        verified = bool(tracker.get_slot("verified"))
        earlier = (
            tracker.get_slot("satisfaction_rating_id")
            if tracker.get_slot("satisfaction_stage") != ASKED
            else None
        )
        with session_scope() as session:
            # A second button for the same question: the customer changed their mind.
            rating = change_score(session, int(earlier), score) if earlier is not None else None
            rating = rating or save_rating(
                session,
                tracker.sender_id,
                tracker.get_latest_input_channel() or "rest",
                score,
                now_in_china(),
                customer_id=int(tracker.get_slot("customer_id")) if verified else None,
                ticket_id=tracker.get_slot("satisfaction_ticket_id"),
                comment=words,
            )
            rating_id = rating.id
        logger.info("conversation %s rated %s (rating %s)", tracker.sender_id, score, rating_id)
        if words:
            dispatcher.utter_message(response="utter_satisfaction_words_thanks")
            return [
                SlotSet("satisfaction_stage", DONE),
                SlotSet("satisfaction_rating_id", rating_id),
            ]
        dispatcher.utter_message(
            response="utter_satisfaction_sorry_ask_words"
            if score in LOW_SCORES
            else "utter_satisfaction_ask_words"
        )
        return [SlotSet("satisfaction_stage", RATED), SlotSet("satisfaction_rating_id", rating_id)]

    def _words(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str, intent: str | None
    ):
        events: list[dict[str, Any]] = [SlotSet("satisfaction_stage", DONE)]
        if nothing_to_add(text):
            dispatcher.utter_message(response="utter_satisfaction_thanks")
            return events
        rating_id = tracker.get_slot("satisfaction_rating_id")
        with session_scope() as session:
            kept = rating_id is not None and add_words(session, int(rating_id), mask_numbers(text))
        logger.info(
            "conversation %s added words to its rating (%s)",
            tracker.sender_id,
            "kept" if kept else "gone",
        )
        if intent == "complain":  # kept as the rating's words, and a person takes the complaint
            return [*events, FollowupAction("action_handoff")]
        dispatcher.utter_message(response="utter_satisfaction_words_thanks")
        return events
