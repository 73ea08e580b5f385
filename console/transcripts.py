"""A conversation from Rasa's tracker as the bank keeps it: every customer, bot and agent
message with its time, and each customer message's intent and emotion. Stored with the
ticket when it is resolved (``keep_from_rasa``), so the history, the ticket page and the
PDF do not depend on the tracker store's retention."""

import asyncio
import logging
from datetime import datetime
from typing import Any

from gateways.rasa_http import RasaAPI
from loandb.session import session_scope
from loandb.transcripts import keep_transcript, kept_messages
from overdue.clock import CHINA, now_in_china
from overdue.handoff_triggers import EXTERNAL_PREFIX
from overdue.masking import mask_numbers

logger = logging.getLogger(__name__)

SENDER_WORDS = {"customer": "客户", "bot": "机器人", "agent": "坐席", "bank": "银行"}


def messages_from_tracker(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """Customer, bot and agent messages in order; long numbers masked as the console shows them."""
    messages = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        at = datetime.fromtimestamp(event.get("timestamp") or 0, CHINA).isoformat(
            timespec="seconds"
        )
        relayed = ((event.get("data") or {}).get("custom") or {}).get(
            "data"
        ) or {}  # an agent's web chat reply
        text = event.get("text") or relayed.get("text") or ""
        if kind == "user" and text.startswith(EXTERNAL_PREFIX):
            # A reminder the bank sent, not the customer's words; the bot's next line says it.
            messages.append(
                {
                    "at": at,
                    "sender": "bank",
                    "agent": "",
                    "text": "（银行主动发送的还款提醒）",
                    "intent": "",
                    "confidence": None,
                    "emotion": None,
                }
            )
            continue
        message = {
            "at": at,
            "sender": "customer",
            "agent": "",
            "text": mask_numbers(text),
            "intent": "",
            "confidence": None,
            "emotion": None,
        }
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            message["intent"] = intent.get("name") or ""
            message["confidence"] = round(float(intent.get("confidence") or 0), 2)
            message["emotion"] = (parse.get("emotion") or {}).get("score")
        else:
            # Rasa puts model ids in every event's metadata; an agent's name is in one of the two.
            agent = (
                (event.get("metadata") or {}).get("agent")
                or (relayed.get("metadata") or {}).get("agent")
                or ""
            )
            message["sender"], message["agent"] = ("agent" if agent else "bot"), agent
        messages.append(message)
    return messages


def console_lines(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kept messages in the shape the ticket page shows (console/tickets.py's ``transcript``)."""
    lines = []
    for message in messages:
        who = "user" if message["sender"] == "customer" else "bot"
        line = {
            "who": who,
            "time": message["at"][5:19].replace("T", " "),
            "text": message["text"],
            "agent": message.get("agent") or "",
        }
        if who == "user":
            line["intent"] = message.get("intent") or ""
            line["confidence"] = f"{message.get('confidence') or 0:.2f}"
            line["emotion"] = "" if message.get("emotion") is None else message["emotion"]
        lines.append(line)
    return lines


def _store(ticket_id: int, messages: list[dict[str, Any]]) -> None:
    with session_scope() as session:
        keep_transcript(session, ticket_id, messages, now_in_china())


async def keep_from_rasa(rasa_api: RasaAPI, ticket_id: int, conversation_id: str) -> bool:
    """Reads the conversation from Rasa and stores it with the ticket; False (logged) when
    Rasa cannot be read: the ticket is resolved all the same."""
    try:
        messages = messages_from_tracker(await rasa_api.tracker(conversation_id))
    except Exception:
        logger.exception(
            "ticket %s: could not read its conversation from Rasa to keep the transcript", ticket_id
        )
        return False
    await asyncio.to_thread(_store, ticket_id, messages)
    return True


def kept_lines(ticket_id: int) -> list[dict[str, Any]] | None:
    with session_scope() as session:
        messages = kept_messages(session, ticket_id)
    return None if messages is None else console_lines(messages)
