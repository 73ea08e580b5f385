"""Proactive care in the conversation: the reminder the bank sent, said by the bot with
the customer's figures, and the customer's 退订 / 订阅 answer to it.

The reminder arrives as an EXTERNAL intent (``reminders.scheduler``, ``channels.web_reminders``)
naming its row in the reminder log; this action says it, so a reply such as 好的我明天还
is read in its context.
"""

import abc
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from loandb import reminder_store as store
from loandb.identity_store import bound_openid
from loandb.models import Customer, Reminder
from loandb.session import session_scope
from loandb.snapshots import reminder_figures
from overdue.bank_rules import load_bank_rules
from overdue.clock import now_in_china, today_in_china

logger = logging.getLogger(__name__)


def reminder_id(tracker: Tracker) -> int | None:
    value = next(tracker.get_latest_entity_values("reminder_id"), None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def may_show_figures(tracker: Tracker, customer: Customer) -> bool:
    """No account fact before verification. A bound openid is this customer's own WeChat
    (bound after they passed the identity check there); anywhere else the conversation
    must be verified as this very customer now. Otherwise the reminder stays general."""
    if bound_openid(customer, now_in_china(), load_bank_rules().identity) == tracker.sender_id:
        return True
    return bool(tracker.get_slot("verified")) and tracker.get_slot("customer_id") == customer.id


class ActionReminderMessage(BankAction):
    def name(self) -> str:
        return "action_reminder_message"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        wanted = reminder_id(tracker)
        with session_scope() as session:
            row = session.get(Reminder, wanted) if wanted is not None else None
            if row is None or row.conversation_id != tracker.sender_id:
                # Only the scheduler triggers this intent, for this conversation's own reminder.
                logger.warning("conversation %s: no reminder %s for it", tracker.sender_id, wanted)
                return []
            figures = reminder_figures(session, row.loan_id, row.due_date, today_in_china(), policy)
            show = may_show_figures(tracker, session.get(Customer, row.customer_id))
        if figures is None:
            return []  # paid since it was decided: nothing to remind of
        if show:
            dispatcher.utter_message(response=figures.response, **figures.values())
        else:
            dispatcher.utter_message(response="utter_reminder_general")
        dispatcher.utter_message(
            response="utter_reminder_how_to_reply", opt_out_word=policy.reminders.opt_out_words[0]
        )
        # A yes now means the customer will pay; digits now ask what is owed.
        return [
            SlotSet("reminder_kind", figures.stage),
            SlotSet("pending_request", "ask_overdue_status"),
        ]


class ReminderPreferenceAction(BankAction, abc.ABC):
    """Sets whether the customer of this conversation gets reminders. Stopping needs no
    identity check: it only ever sends less; the customer is told how to resume."""

    opted_out: bool = True
    response: str = ""

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name."""

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        words = load_bank_rules().reminders
        values = {"opt_out_word": words.opt_out_words[0], "opt_in_word": words.opt_in_words[0]}
        with session_scope() as session:
            customer_id = (
                tracker.get_slot("customer_id")
                if tracker.get_slot("verified")
                else store.customer_of_conversation(
                    session, tracker.sender_id, now_in_china(), load_bank_rules().identity
                )
            )
            if customer_id is None:
                dispatcher.utter_message(response="utter_reminders_whose", **values)
                return []
            store.set_opted_out(
                session, int(customer_id), self.opted_out, tracker.sender_id, now_in_china()
            )
        logger.info(
            "conversation %s: reminders %s for customer %s",
            tracker.sender_id,
            "stopped" if self.opted_out else "resumed",
            customer_id,
        )
        dispatcher.utter_message(response=self.response, **values)
        return []


class ActionStopReminders(ReminderPreferenceAction):
    opted_out = True
    response = "utter_reminders_stopped"

    def name(self) -> str:
        return "action_stop_reminders"


class ActionResumeReminders(ReminderPreferenceAction):
    opted_out = False
    response = "utter_reminders_resumed"

    def name(self) -> str:
        return "action_resume_reminders"
