"""What the assistant says when it did not understand: rephrase once, then offer a person."""
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction

FALLBACK_INTENT = "nlu_fallback"
FALLBACKS_BEFORE_HUMAN = 2


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest customer messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionHandleFallback(BankAction):
    """Keeps the message in the conversation (no revert) and answers politely."""

    def name(self) -> Text:
        return "action_handle_fallback"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]):
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(response="utter_empty_message")
        elif not any(char.isalnum() for char in text):
            dispatcher.utter_message(response="utter_emoji_only")
        elif consecutive_fallbacks(tracker) >= FALLBACKS_BEFORE_HUMAN:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_default")
        return []
