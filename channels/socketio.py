"""The web chat's socket.io channel: Rasa's, with the checks a public page needs.

Sessions are issued and signed by the server (channels/web_sessions.py): a session id the
server did not sign, or one idle longer than ``web_chat.session_idle_minutes`` (policy.yml),
gets a fresh session; when the customer is verified the session moves to a new id (its
conversation copied, the old id emptied), so an id seen before verification never reaches
the verified conversation. A bank page may pass a signed bank-login token
(overdue/bank_login.py): checked here, it puts ``metadata["bank_login_customer_id"]`` on
each message of that session; a client never can (channels/metadata.py). A message counts
only from a socket that asked for its session first (``session_request``) and names that
session: a forged event gets nothing. Empty sends are ignored, over-long
messages are cut with a notice, and typed slash commands are limited to the assistant's
own buttons. Needs python-socketio 5.9.0: from 5.10 ``enter_room`` is a coroutine that
Rasa 3.6 does not await, and replies would never reach the page.

A failure answers with an apology (channels/faults.py); with several instances, messages
for a socket on another instance go through Redis (channels/socketio_fanout.py).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import Restarted
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels import faults
from channels.metadata import BANK_LOGIN_KEY, client_metadata
from channels.payload_guard import MAX_MESSAGE_CHARS, allowed_payloads, guard_text
from channels.socketio_fanout import client_manager
from channels.web_reminders import deliver_waiting_reminders, move_conversation
from channels.web_sessions import is_issued, issue_session_id
from overdue.bank_login import read_token
from settings import current

logger = logging.getLogger(__name__)

WEB_MAX_CHARS = 1000  # a chat box, not a letter: longer is cut, and the customer told
CUT_NOTICE = "您的消息较长，我先阅读了前{limit}个字。如还有补充，可以分几条发给我。"


class LocalSocketIOOutput(SocketIOOutput):
    """Replies within the customer's own turn: their socket is on this instance, so they go
    to it directly (not through Redis, which may be the part that is down), and are counted."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await self.sio.emit(self.bot_message_evt, response, room=socket_id, ignore_queue=True)


def session_idle_seconds() -> float:
    """policy.yml's ``web_chat.session_idle_minutes`` (30 when absent)."""
    try:
        with open(current().loan_policy_path, encoding="utf-8") as handle:
            return (
                float(
                    (yaml.safe_load(handle).get("web_chat") or {}).get("session_idle_minutes", 30)
                )
                * 60
            )
    except (OSError, AttributeError, TypeError, ValueError):
        return 30 * 60


@dataclass
class WebSession:
    """What one socket is in: its conversation, and the bank login that vouches for it."""

    session_id: str
    bank_login_customer_id: int | None = None
    previous_id: str | None = None  # before a rotation: the page may still send it once
    verified: bool = False  # seen verified (rotated, or resumed so): no more checks needed


class GuardedSocketIOInput(SocketIOInput):
    """Registered in credentials.yml as ``channels.socketio.GuardedSocketIOInput``."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        manager = client_manager()
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            **({"client_manager": manager} if manager else {}),
        )
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        sessions: dict[str, WebSession] = {}  # socket id -> the session it was given
        server = {}  # the Sanic app, once started: its agent reads the conversation store
        idle_seconds = session_idle_seconds()

        async def stored_tracker(session_id: str):
            agent = server["app"].ctx.agent if "app" in server else None
            if agent is None or agent.tracker_store is None:
                return None
            return await agent.tracker_store.retrieve(session_id)

        async def usable(session_id: str, login_customer: int | None) -> bool:
            """An issued id whose conversation is not idle too long, nor another customer's
            login."""
            if not is_issued(session_id):
                return False
            try:
                tracker = await stored_tracker(session_id)
            except (
                Exception
            ):  # the store is down: the id is ours; its messages will get the apology
                logger.warning("could not read a web chat session's conversation to resume it")
                return login_customer is None
            if tracker is None or not tracker.events:
                return True
            if time.time() - tracker.events[-1].timestamp > idle_seconds:
                return False
            verified_as = tracker.get_slot("customer_id")
            return login_customer is None or verified_as in (
                None,
                login_customer,
                str(login_customer),
            )

        async def rotate(sid: str, web: WebSession) -> None:
            """The verified conversation moves to a new id; the old one is emptied."""
            agent = server["app"].ctx.agent
            old, new = web.session_id, issue_session_id()
            async with agent.lock_store.lock(old):
                tracker = await agent.tracker_store.retrieve(old)
                if tracker is None:
                    return
                moved = DialogueStateTracker.from_events(
                    new, list(tracker.events), agent.domain.slots
                )
                await agent.tracker_store.save(moved)
                tracker.update(Restarted())
                await agent.tracker_store.save(tracker)
            sio.leave_room(sid, old)
            sio.enter_room(sid, new)
            web.session_id, web.previous_id = new, old
            await asyncio.to_thread(move_conversation, old, new)
            await sio.emit("session_rotated", new, room=sid, ignore_queue=True)
            logger.info("web chat session rotated on verification")

        @webhook.listener("after_server_start")
        async def remember_app(app, _loop) -> None:
            server["app"] = app

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            sessions.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            requested, token = data.get("session_id"), data.get("bank_login_token")
            login = read_token(token) if token else None
            login_customer = login.customer_id if login else None
            session_id = (
                requested if await usable(requested, login_customer) else issue_session_id()
            )
            refused = bool(token) and (
                login is None
                or (login.expired and not await verified_as(session_id, login.customer_id))
            )
            if refused:
                logger.info("web chat refused a bank-login token (forged, altered or expired)")
                login_customer = None
            old = sessions.get(sid)
            if old is not None and old.session_id != session_id:
                sio.leave_room(sid, old.session_id)
            sessions[sid] = WebSession(session_id, login_customer)
            sio.enter_room(sid, session_id)  # synchronous under python-socketio 5.9.0
            await sio.emit(
                "session_confirm", session_id, room=sid, ignore_queue=True
            )  # a local socket
            if refused:
                await LocalSocketIOOutput(sio, self.bot_message_evt).send_text_message(
                    session_id, faults.response_text("utter_bank_login_refused")
                )
            if "app" in server:
                # Reminders the bank sent while the customer was away appear now, in the
                # conversation.
                await deliver_waiting_reminders(
                    server["app"].ctx.agent,
                    session_id,
                    LocalSocketIOOutput(sio, self.bot_message_evt),
                )

        async def verified_as(session_id: str, customer_id: int) -> bool:
            try:
                tracker = await stored_tracker(session_id)
            except Exception:
                return False
            return tracker is not None and tracker.get_slot("customer_id") in (
                customer_id,
                str(customer_id),
            )

        @sio.on("session_end", namespace=self.namespace)
        async def session_end(sid: str, _data: Any = None) -> None:
            """结束对话: this socket leaves its session; the page asks for a new one."""
            web = sessions.pop(sid, None)
            if web is not None:
                sio.leave_room(sid, web.session_id)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            web = sessions.get(sid)
            if (
                not isinstance(data, dict)
                or web is None
                or data.get("session_id") not in (web.session_id, web.previous_id)
            ):
                logger.info("ignored a socket message without its session")
                return
            session_id = web.session_id
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return  # an empty send: nothing to answer
            output = LocalSocketIOOutput(sio, self.bot_message_evt)
            if len(text) > WEB_MAX_CHARS:
                text = text[:WEB_MAX_CHARS]
                await output.send_text_message(session_id, CUT_NOTICE.format(limit=WEB_MAX_CHARS))
            metadata = client_metadata(data.get(self.metadata_key))
            if web.bank_login_customer_id is not None:
                metadata = {**(metadata or {}), BANK_LOGIN_KEY: web.bank_login_customer_id}
            message = UserMessage(
                guard_text(text[:MAX_MESSAGE_CHARS], allowed_payloads("domain.yml")),
                output,
                session_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            was_verified = web.verified or await is_verified(session_id)
            web.verified = was_verified
            notices = output.sent
            agent = server["app"].ctx.agent if "app" in server else None
            faults.raise_store_errors(agent)
            turn = await faults.handle_turn(on_new_message, message)
            said_anything = output.sent > notices
            paused = turn.taken and not said_anything and await faults.is_paused(agent, session_id)
            apology = turn.apology(said_anything=said_anything, paused=paused)
            if apology:
                await output.send_text_message(session_id, faults.response_text(apology))
            if turn.taken and not was_verified and await is_verified(session_id):
                web.verified = True
                try:
                    await rotate(sid, web)
                except Exception:  # the conversation goes on under its old id
                    logger.exception("could not rotate a web chat session")

        async def is_verified(session_id: str) -> bool:
            try:
                tracker = await stored_tracker(session_id)
            except Exception:
                return False
            return tracker is not None and tracker.get_slot("verified") is True

        return webhook
