"""What the assistant says when it did not understand: rephrase once, then offer a person."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from overdue.handoff_triggers import not_understood_twice, recent_user_messages


class ActionHandleFallback(BankAction):
    """Keeps the message in the conversation (no revert) and answers politely."""

    def name(self) -> str:
        return "action_handle_fallback"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(response="utter_empty_message")
        elif not any(char.isalnum() for char in text):
            dispatcher.utter_message(response="utter_emoji_only")
        elif not_understood_twice(recent_user_messages(tracker.events)):
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_default")
        return []
