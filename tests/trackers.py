"""Building rasa-sdk trackers and running actions the way the action server does."""
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from loandb.queries import customers_by_identity
from loandb.session import session_scope


def make_tracker(
    text: str = "",
    intent: Optional[str] = None,
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    sender: str = "test-user",
    latest_action: str = "action_listen",
) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    return Tracker(
        sender,
        {"identity_failures": 0, "verified": False, **(slots or {})},
        message,
        events or [],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        latest_action,
    )


def customer_id(id_last4: str, phone_last4: str) -> int:
    with session_scope() as session:
        return customers_by_identity(session, id_last4, phone_last4)[0].id


def verified(id_last4: str, phone_last4: str, request: str) -> Dict[str, Any]:
    return {"verified": True, "customer_id": customer_id(id_last4, phone_last4), "pending_request": request}


async def run(action, tracker: Tracker, domain: Optional[Dict[str, Any]] = None):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events


def responses(messages) -> List[str]:
    return [m["response"] for m in messages]


def values(messages, response: str) -> List[Dict[str, Any]]:
    return [m for m in messages if m["response"] == response]
