"""The WeChat Official Account channel, on wechatpy, at /webhooks/wechat/webhook.

Follows WeChat's message-push protocol: GET answers the echostr of a correctly signed
verification; every POST is checked (signature, and msg_signature in safe mode) before
anything else; bodies over 1 MB get 413, malformed or entity-bearing XML 400. A reply
ready within ``reply_timeout`` goes back passively (encrypted in safe mode); a slower
one, and any later message, goes through the customer-service API off the event loop.
WeChat retries unanswered messages: each MsgId is processed once and retries get the
same reply. A part that fails gets the customer an apology (channels/faults.py).
"""

import asyncio
import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply, create_reply
from wechatpy.utils import check_signature

from channels import faults
from channels.payload_guard import allowed_payloads, guard_text
from channels.retries import handle_once
from channels.wechat_support import REPLAY_WINDOW_SECONDS, MessageLedger
from gateways.wechat_api import DEFAULT_API_BASE, ConfiguredWeChatClient, token_storage
from overdue.sender_ids import is_valid_sender

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
DOMAIN_PATH = "domain.yml"
# Menu buttons of the Official Account -> the request each stands for.
MENU_INTENTS = {
    "OVERDUE_STATUS": "/ask_overdue_status",
    "PENALTY": "/ask_penalty",
    "CREDIT_IMPACT": "/ask_credit_impact",
    "REPAYMENT_METHOD": "/ask_repayment_method",
    "DEFERRAL": "/request_deferral",
    "INSTALLMENT": "/request_installment",
    "HUMAN": "/request_human",
}
MEDIA_WORDS = {
    "image": "图片",
    "video": "视频",
    "shortvideo": "视频",
    "location": "位置",
    "link": "链接",
    "file": "文件",
}


def render_text(messages: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """Several bot messages as one text; buttons as numbered options ('回复 1 ...')."""
    parts, payloads = [], []
    for message in messages:
        if message.get("text"):
            parts.append(message["text"])
        for button in message.get("buttons") or []:
            payloads.append(button.get("payload") or button.get("title"))
            parts.append(f"回复 {len(payloads)}：{button.get('title')}")
    return "\n".join(parts), payloads


class WeChatOutput(OutputChannel):
    """Messages sent later (a slow answer, an agent's reply) through the customer-service API."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    def __init__(self, client: ConfiguredWeChatClient, ledger: MessageLedger) -> None:
        self.client = client
        self.ledger = ledger

    async def send_text(self, openid: str, text: str) -> None:
        try:
            # wechatpy's client is synchronous: keep it off the server's loop.
            await asyncio.to_thread(self.client.message.send_text, openid, text)
        except WeChatClientException as error:  # expired token, 45015 outside 48 h, rate limits
            logger.warning(
                "WeChat API refused a message to %s: %s %s",
                openid[-6:],
                error.errcode,
                error.errmsg,
            )
        except Exception:
            logger.exception("sending a WeChat message to %s failed", openid[-6:])

    async def send_messages(self, openid: str, messages: list[dict[str, Any]]) -> None:
        text, payloads = render_text(messages)
        if payloads:
            await self.ledger.offer(openid, payloads)
        if text:
            await self.send_text(openid, text)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_messages(recipient_id, [{"text": text, "buttons": buttons}])


class WeChatInput(InputChannel):
    """Registered in credentials.yml as ``channels.wechat.WeChatInput``."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            token=credentials.get("token") or "",
            app_id=credentials.get("app_id") or "",
            app_secret=credentials.get("app_secret") or "",
            encoding_aes_key=credentials.get("encoding_aes_key") or "",
            api_base_url=credentials.get("api_base_url") or DEFAULT_API_BASE,
            redis_url=credentials.get("redis_url") or None,
            reply_timeout=float(credentials.get("reply_timeout") or 4.0),
        )

    def __init__(
        self,
        token: str,
        app_id: str,
        app_secret: str,
        encoding_aes_key: str = "",
        api_base_url: str = DEFAULT_API_BASE,
        redis_url: str | None = None,
        reply_timeout: float = 4.0,
    ) -> None:
        self.token = token
        self.app_id = app_id
        self.crypto = WeChatCrypto(token, encoding_aes_key, app_id) if encoding_aes_key else None
        self.reply_timeout = reply_timeout
        self.ledger = MessageLedger(redis_url)
        self.client = ConfiguredWeChatClient(
            app_id, app_secret, api_base_url, session=token_storage(redis_url)
        )
        self.output = WeChatOutput(self.client, self.ledger)
        if not token:
            logger.warning("WECHAT_TOKEN is not set: the WeChat channel refuses every request")
        logger.info(
            "WeChat channel: %s mode, passive replies within %.2f s, API at %s",
            "safe" if self.crypto else "plain",
            reply_timeout,
            api_base_url,
        )

    def get_output_channel(self) -> OutputChannel:
        return self.output

    def _signed(self, request: Request) -> bool:
        """Signed with our token, and sent within the replay window (a captured callback
        cannot be replayed later, in plain or safe mode)."""
        args = request.args
        if not self.token or not fresh_timestamp(args.get("timestamp", "")):
            return False
        try:
            check_signature(
                self.token,
                args.get("signature", ""),
                args.get("timestamp", ""),
                args.get("nonce", ""),
            )
            return True
        except InvalidSignatureException:
            return False

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "safe_mode": self.crypto is not None})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self._signed(request):
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            length = int(request.headers.get("content-length") or 0)
            if length > MAX_BODY_BYTES or len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("payload too large", status=413)
            if not self._signed(request):
                return response.text("forbidden", status=403)
            body = request.body or b""
            if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
                return response.text("bad request", status=400)
            args = request.args
            try:
                if self.crypto is not None:
                    if args.get("encrypt_type") != "aes":
                        return response.text("encrypted messages only", status=403)
                    body = self.crypto.decrypt_message(
                        body,
                        args.get("msg_signature", ""),
                        args.get("timestamp", ""),
                        args.get("nonce", ""),
                    )
                message = parse_message(body)
            except InvalidSignatureException:
                return response.text("forbidden", status=403)
            except Exception:  # malformed XML, entities, an envelope that does not decrypt
                logger.info("refused a malformed WeChat message")
                return response.text("bad request", status=400)
            if not is_valid_sender(message.source):
                return response.text("bad request", status=400)
            if not await self.ledger.nonce_for(args.get("nonce", ""), message_key(message)):
                logger.warning("refused a WeChat callback whose nonce was already used")
                return response.text("forbidden", status=403)
            reply = await self.handle(message, on_new_message, request)
            if not reply:
                return response.text("success")
            if self.crypto is not None:
                reply = self.crypto.encrypt_message(
                    reply, args.get("nonce", ""), args.get("timestamp", "")
                )
            return response.text(reply, content_type="application/xml")

        return webhook

    async def handle(self, message, on_new_message, request: Request) -> str:
        """The passive reply XML for a message, or '' when there is none (yet)."""
        openid = message.source
        key = message_key(message)
        retry = not await self.ledger.claim(key)
        if retry:
            earlier = await self.ledger.reply_to_retry(key, self.reply_timeout)
            if earlier is not None:
                return earlier
            # No reply was ever recorded: the instance that took the first delivery may have
            # died with it. Handled once more, but only if the conversation lacks the message.
            logger.warning(
                "WeChat retry of a message with no recorded reply: checking the conversation"
            )
        text = await self.text_for(message, request)
        if text is None:  # unsubscribe: nothing to say
            await self.ledger.remember_reply(key, "")
            return ""
        if isinstance(text, ChannelAnswer):
            reply = create_reply(text.text, message).render()
            await self.ledger.remember_reply(key, reply)
            return reply

        user_message = UserMessage(
            text,
            CollectingOutputChannel(),
            openid,
            input_channel=self.name(),
            metadata={"wechat_msg_id": key},
            message_id=key,
        )
        handler = partial(handle_once, request.app.ctx.agent) if retry else on_new_message
        task = asyncio.create_task(self.answer(handler, user_message, request))
        try:
            messages = await asyncio.wait_for(asyncio.shield(task), self.reply_timeout)
        except asyncio.TimeoutError:
            # Too slow for a passive reply: answer through the customer-service API when done.
            task.add_done_callback(
                lambda done: asyncio.ensure_future(self.output.send_messages(openid, done.result()))
            )
            await self.ledger.remember_reply(key, "")
            return ""
        reply_text, payloads = render_text(messages)
        if payloads:
            await self.ledger.offer(openid, payloads)
        reply = TextReply(message=message, content=reply_text).render() if reply_text else ""
        await self.ledger.remember_reply(key, reply)
        return reply

    async def answer(
        self, on_new_message, message: UserMessage, request: Request
    ) -> list[dict[str, Any]]:
        """The bot's messages for the customer's message, with an apology when a part failed."""
        agent = request.app.ctx.agent
        faults.raise_store_errors(agent)
        turn = await faults.handle_turn(on_new_message, message)
        messages = list(message.output_channel.messages)
        paused = turn.taken and not messages and await faults.is_paused(agent, message.sender_id)
        apology = turn.apology(said_anything=bool(messages), paused=paused)
        if apology:
            messages.append({"text": faults.response_text(apology, DOMAIN_PATH)})
        return messages

    async def text_for(self, message, request: Request):
        """What Rasa reads for this message; a ChannelAnswer when the channel answers itself."""
        kind = message.type
        if kind == "text":
            content = unicodedata.normalize("NFKC", message.content or "").strip()
            chosen = await self.ledger.chosen(message.source, content)
            return chosen or guard_text(message.content or "", allowed_payloads(DOMAIN_PATH))
        if kind == "voice":
            recognition = (getattr(message, "recognition", None) or "").strip()
            return recognition or ChannelAnswer(
                domain_text(request, "utter_wechat_voice_unrecognised")
            )
        if kind == "event":
            event = getattr(message, "event", "")
            if event == "subscribe":
                return "/greet"
            if event == "unsubscribe":
                return None
            if event == "click":
                intent = MENU_INTENTS.get(getattr(message, "key", ""))
                return intent or ChannelAnswer(domain_text(request, "utter_wechat_unknown_menu"))
            return None
        return ChannelAnswer(
            domain_text(request, "utter_wechat_unsupported", kind=MEDIA_WORDS.get(kind, "这类消息"))
        )


def message_key(message) -> str:
    """What tells one WeChat message from another: its sender with its MsgId (events: with
    CreateTime). The sender is part of it so that no id, however it came about, can hand one
    customer the reply kept for another."""
    return f"{message.source}:{getattr(message, 'id', None) or message.create_time}"


def fresh_timestamp(timestamp: str, now: float | None = None) -> bool:
    """A callback's timestamp within REPLAY_WINDOW_SECONDS of our clock."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs((time.time() if now is None else now) - sent) <= REPLAY_WINDOW_SECONDS


class ChannelAnswer:
    """A reply the channel gives itself, without the assistant."""

    def __init__(self, text: str) -> None:
        self.text = text


def domain_text(request: Request, response_name: str, **values: Any) -> str:
    """Customer wording from the domain's responses (all of it lives there)."""
    try:
        domain = request.app.ctx.agent.domain
        return domain.responses[response_name][0]["text"].format(**values)
    except Exception:
        logger.exception("response %s is missing from the domain", response_name)
        return "抱歉，暂时无法处理这条消息，请直接输入文字告诉我您的问题。"
