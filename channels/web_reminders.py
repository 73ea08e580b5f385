"""A web chat customer sees the reminders waiting for them when they next open the chat.

Called by the socket.io channel (inside the Rasa server) once the widget's session is
confirmed. The reminder enters the conversation then, as the same EXTERNAL intent a
WeChat customer's does, and the bot's words reach the page through the socket.
"""

import asyncio
import logging
from typing import Any

from sqlalchemy import update

from loandb import reminder_store as store
from loandb.models import CustomerConversation, Reminder
from loandb.session import session_scope
from loandb.snapshots import reminder_figures
from overdue.bank_rules import load_bank_rules
from overdue.clock import now_in_china, today_in_china
from overdue.reminder_rules import EXTERNAL_INTENTS

logger = logging.getLogger(__name__)


def move_conversation(old_id: str, new_id: str) -> None:
    """A web chat session moved to a new id (rotated on verification): its reminders follow."""
    with session_scope() as session:
        session.execute(
            update(CustomerConversation)
            .where(CustomerConversation.conversation_id == old_id)
            .values(conversation_id=new_id)
        )
        session.execute(
            update(Reminder)
            .where(Reminder.conversation_id == old_id)
            .values(conversation_id=new_id)
        )


def take_waiting(conversation_id: str) -> list[tuple[int, str]]:
    """The reminders waiting in this chat, taken (two tabs opening at once show them once);
    those no longer true (paid since, or the customer opted out) are withdrawn."""
    policy = load_bank_rules()
    taken = []
    with session_scope() as session:
        for row in store.waiting_for(session, conversation_id):
            if store.is_opted_out(session, row.customer_id):
                store.finish(session, row.id, "expired", "opted_out")
                continue
            if (
                reminder_figures(session, row.loan_id, row.due_date, today_in_china(), policy)
                is None
            ):
                store.finish(session, row.id, "expired", "paid")
                continue
            took = session.execute(
                update(Reminder)
                .where(Reminder.id == row.id, Reminder.status == "waiting")
                .values(status="sending"),
                execution_options={"synchronize_session": False},
            )
            if took.rowcount == 1:
                taken.append((row.id, row.occasion))
    return taken


def settle(reminder_id: int, delivered: bool) -> None:
    with session_scope() as session:
        store.finish(
            session, reminder_id, "delivered" if delivered else "waiting", now=now_in_china()
        )


async def deliver_waiting_reminders(agent: Any, conversation_id: str, output_channel: Any) -> int:
    """Shows what waits for this chat; never fails the session it is called from."""
    try:
        waiting = await asyncio.to_thread(take_waiting, conversation_id)
    except Exception:
        logger.exception("could not read the reminders waiting for a web chat")
        return 0
    shown = 0
    for reminder_id, occasion in waiting:
        delivered = False
        try:
            async with agent.lock_store.lock(conversation_id):
                tracker = await agent.processor.fetch_tracker_and_update_session(
                    conversation_id, output_channel
                )
                # Mid-request or with a person: it waits for the next opening.
                if not tracker.active_loop_name and not tracker.is_paused():
                    await agent.trigger_intent(
                        EXTERNAL_INTENTS[occasion],
                        [{"entity": "reminder_id", "value": reminder_id}],
                        output_channel,
                        tracker,
                    )
                    delivered = True
        except Exception:
            logger.exception("reminder %s could not be shown in its web chat", reminder_id)
        await asyncio.to_thread(settle, reminder_id, delivered)
        shown += delivered
    return shown
