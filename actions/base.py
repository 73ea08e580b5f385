"""The base every action shares: its work runs off the event loop, and a failure becomes
a short apology to the customer and a logged error, never a stack trace."""

import abc
import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)


class BankAction(Action, abc.ABC):
    """Subclasses implement ``respond``; it may use the database (synchronously)."""

    @abc.abstractmethod
    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Utter responses through the dispatcher and return events."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        scratch = CollectingDispatcher()
        try:
            # The database layer is synchronous: keep it off the action server's loop.
            events = await asyncio.to_thread(self.respond, scratch, tracker, domain)
        except Exception:
            logger.exception("action %s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response="utter_technical_apology")
            return []
        dispatcher.messages.extend(scratch.messages)
        return events


def hand_over(reason: str) -> list[dict[str, Any]]:
    """Events that make action_handoff run next, for the given reason."""
    return [SlotSet("handoff_reason", reason), FollowupAction("action_handoff")]
