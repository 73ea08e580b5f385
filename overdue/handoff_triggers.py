"""When a conversation must go to a person, and why: one place for the rules that the
handoff policy (in the Rasa server) and the handoff action (in the action server) share.
Pure functions of the customer's messages' parse data, newest last."""

import re
from typing import Any

# How Rasa marks an event the bank triggered (a reminder): the customer did not say it.
EXTERNAL_PREFIX = "EXTERNAL: "

# Reasons, in the order they are checked; the first that applies names the ticket.
SELF_HARM = "self_harm"
DISPUTE = "dispute"
NEGATIVE_EMOTION = "negative_emotion"
NOT_UNDERSTOOD = "not_understood"

_DISPUTE = re.compile(
    r"不是我借的|我没借过|没借过这|不是我的(贷款|卡|钱|账)|金额不对|数额不对|账不对|欠款不对|被冒用|冒名|盗用|"
    r"不是本人|我不是(?!故意|不想|不还|要|说)[\u4e00-\u9fa5]{2,3}(本人)?[。！!]*$"
)


def _emotion(parse_data: dict[str, Any]) -> dict[str, Any]:
    return parse_data.get("emotion") or {}


def _intent(parse_data: dict[str, Any]) -> str | None:
    return (parse_data.get("intent") or {}).get("name")


def message_trigger(recent: list[dict[str, Any]]) -> str | None:
    """The reason the latest customer message hands over, if it does."""
    if not recent:
        return None
    latest = recent[-1]
    if _emotion(latest).get("self_harm"):
        return SELF_HARM
    if _DISPUTE.search(latest.get("text") or ""):
        return DISPUTE
    if len(recent) >= 2 and all(_emotion(m).get("strongly_negative") for m in recent[-2:]):
        return NEGATIVE_EMOTION
    if not_understood_twice(recent):
        return NOT_UNDERSTOOD
    return None


def not_understood_twice(recent: list[dict[str, Any]]) -> bool:
    """The last two customer messages were both beyond the classifier."""
    return len(recent) >= 2 and all(_intent(m) == "nlu_fallback" for m in recent[-2:])


def recent_user_messages(events: list[dict[str, Any]], limit: int = 5) -> list[dict[str, Any]]:
    """The session's latest customer messages as parse data (with their text), oldest first."""
    found: list[dict[str, Any]] = []
    for event in reversed(events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "user" and not (event.get("text") or "").startswith(
            EXTERNAL_PREFIX
        ):
            found.append({**(event.get("parse_data") or {}), "text": event.get("text")})
            if len(found) == limit:
                break
    return list(reversed(found))
