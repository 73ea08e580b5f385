"""The REST channel customers' apps call, with checks Rasa's own channel lacks.

Same URL and JSON as Rasa's (``POST /webhooks/rest/webhook`` with ``sender`` and
``message``), but a malformed request gets a 400 instead of a 500, slash commands are
limited to the assistant's own buttons, and a failure anywhere answers with an apology
(channels/faults.py): 503 when the message was not taken and should be sent again.

The client's ``sender`` (letters, digits, '_' and '-', overdue/sender_ids.py) becomes the
conversation ``rest:<sender>``: a REST client can name only REST conversations, never a web
chat session or a WeChat openid's conversation.

An optional ``message_id`` makes a client's retry safe: a message the conversation already
holds is answered from the store, not handled twice (channels/retries.py).
"""

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import faults
from channels.metadata import client_metadata
from channels.payload_guard import MAX_MESSAGE_CHARS, allowed_payloads, guard_text
from channels.retries import handle_once
from overdue.sender_ids import SENDER_RULE, is_valid_sender

logger = logging.getLogger(__name__)

MAX_MESSAGE_ID_CHARS = 128
PREFIX = "rest:"
CUT_NOTICE = "您的消息较长，我先阅读了前{limit}个字。如还有补充，可以分几条发给我。"


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class GuardedRestInput(RestInput):
    """Registered in credentials.yml as ``channels.rest.GuardedRestInput``."""

    def __init__(self, domain_path: str = "domain.yml") -> None:
        self.domain_path = domain_path

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(credentials.get("domain_path", "domain.yml"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # sanic raises on a body that is not JSON
                return _bad_request("body must be JSON")
            if not isinstance(body, dict):
                return _bad_request("body must be a JSON object")
            sender = body.get("sender")
            text = body.get("message", "")
            if not is_valid_sender(sender):
                return _bad_request(f"sender must be {SENDER_RULE}")
            if text is None:
                text = ""
            if not isinstance(text, str):
                return _bad_request("message must be a string")
            message_id = body.get("message_id")
            if message_id is not None and (
                not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS
            ):
                return _bad_request(
                    f"message_id must be a string of 1 to {MAX_MESSAGE_ID_CHARS} characters"
                )
            metadata = client_metadata(body.get("metadata"))

            replies: list[dict[str, Any]] = []
            if len(text) > MAX_MESSAGE_CHARS:
                text = text[:MAX_MESSAGE_CHARS]
                replies.append(
                    {"recipient_id": sender, "text": CUT_NOTICE.format(limit=MAX_MESSAGE_CHARS)}
                )
            text = guard_text(text, allowed_payloads(self.domain_path))

            agent = request.app.ctx.agent
            faults.raise_store_errors(agent)
            collector = CollectingOutputChannel()
            conversation_id = PREFIX + sender
            message = UserMessage(
                text,
                collector,
                conversation_id,
                input_channel=self.name(),
                metadata=metadata,
                message_id=message_id,
            )
            handler = partial(handle_once, agent) if message_id else on_new_message
            turn = await faults.handle_turn(handler, message)
            if not turn.taken:
                # Not stored: a client may send it again (with the same message_id).
                apology = faults.response_text(faults.NOT_TAKEN, self.domain_path)
                replies.append({"recipient_id": sender, "text": apology})
                return response.json(replies, status=503, headers={"Retry-After": "5"})
            replies.extend({**reply, "recipient_id": sender} for reply in collector.messages)
            paused = not collector.messages and await faults.is_paused(agent, conversation_id)
            apology = turn.apology(said_anything=bool(collector.messages), paused=paused)
            if apology:
                replies.append(
                    {
                        "recipient_id": sender,
                        "text": faults.response_text(apology, self.domain_path),
                    }
                )
            return response.json(replies)

        return webhook
