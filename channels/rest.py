"""The REST channel customers' apps call, with checks Rasa's own channel lacks.

Same URL and JSON as Rasa's (``POST /webhooks/rest/webhook`` with ``sender`` and
``message``), but a malformed request gets a 400 instead of a 500, slash commands are
limited to the assistant's own buttons, and a failure anywhere answers with an apology.
"""
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.payload_guard import MAX_MESSAGE_CHARS, allowed_payloads, guard_text

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
APOLOGY = "抱歉，系统暂时有点忙，请稍后再试，或回复“转人工”由人工客服帮您处理。"
CUT_NOTICE = "您的消息较长，我先阅读了前{limit}个字。如还有补充，可以分几条发给我。"


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class GuardedRestInput(RestInput):
    """Registered in credentials.yml as ``channels.rest.GuardedRestInput``."""

    def __init__(self, domain_path: Text = "domain.yml") -> None:
        self.domain_path = domain_path

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(credentials.get("domain_path", "domain.yml"))

    @staticmethod
    async def _paused(request: Request, sender: str) -> bool:
        """A person has taken over: the bot stays silent on purpose."""
        try:
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            return bool(tracker and tracker.is_paused())
        except Exception:
            logger.exception("conversation %s: could not read its tracker", sender)
            return False

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
            if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS:
                return _bad_request(f"sender must be a string of 1 to {MAX_SENDER_CHARS} characters")
            if text is None:
                text = ""
            if not isinstance(text, str):
                return _bad_request("message must be a string")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None

            replies: List[Dict[str, Any]] = []
            if len(text) > MAX_MESSAGE_CHARS:
                text = text[:MAX_MESSAGE_CHARS]
                replies.append({"recipient_id": sender, "text": CUT_NOTICE.format(limit=MAX_MESSAGE_CHARS)})
            text = guard_text(text, allowed_payloads(self.domain_path))

            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception:
                logger.exception("conversation %s: the message could not be handled", sender)
            replies.extend(collector.messages)
            if not collector.messages and not await self._paused(request, sender):
                replies.append({"recipient_id": sender, "text": APOLOGY})
            return response.json(replies)

        return webhook
