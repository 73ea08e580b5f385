"""The web chat's socket.io channel: Rasa's, with the checks a public page needs.

A message counts only from a socket that asked for its session first (``session_request``)
and names that session: a forged event gets nothing. Empty sends are ignored, over-long
messages are cut with a notice, and typed slash commands are limited to the assistant's
own buttons. Needs python-socketio 5.9.0: from 5.10 ``enter_room`` is a coroutine that
Rasa 3.6 does not await, and replies would never reach the page.

A failure answers with an apology (channels/faults.py); with several instances, messages
for a socket on another instance go through Redis (channels/socketio_fanout.py).
"""
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels import faults
from channels.payload_guard import MAX_MESSAGE_CHARS, allowed_payloads, guard_text
from channels.socketio_fanout import client_manager
from reminders.web import deliver_waiting_reminders

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
WEB_MAX_CHARS = 1000  # a chat box, not a letter: longer is cut, and the customer told
CUT_NOTICE = "您的消息较长，我先阅读了前{limit}个字。如还有补充，可以分几条发给我。"


class LocalSocketIOOutput(SocketIOOutput):
    """Replies within the customer's own turn: their socket is on this instance, so they go
    to it directly (not through Redis, which may be the part that is down), and are counted."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        self.sent += 1
        await self.sio.emit(self.bot_message_evt, response, room=socket_id, ignore_queue=True)


class GuardedSocketIOInput(SocketIOInput):
    """Registered in credentials.yml as ``channels.socketio.GuardedSocketIOInput``."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        manager = client_manager()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[],
                          **({"client_manager": manager} if manager else {}))
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        sessions: Dict[str, str] = {}  # socket id -> the session it asked for
        server = {}  # the Sanic app, once started: its agent reads the conversation store

        @webhook.listener("after_server_start")
        async def remember_app(app, _loop) -> None:
            server["app"] = app

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            sessions.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            requested = (data or {}).get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.match(requested) else uuid.uuid4().hex
            sessions[sid] = session_id
            sio.enter_room(sid, session_id)  # synchronous under python-socketio 5.9.0
            await sio.emit("session_confirm", session_id, room=sid, ignore_queue=True)  # a local socket
            if "app" in server:
                # Reminders the bank sent while the customer was away appear now, in the conversation.
                await deliver_waiting_reminders(server["app"].ctx.agent, session_id,
                                                LocalSocketIOOutput(sio, self.bot_message_evt))

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            session_id = sessions.get(sid)
            if not isinstance(data, dict) or session_id is None or data.get("session_id") != session_id:
                logger.info("ignored a socket message without its session")
                return
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return  # an empty send: nothing to answer
            output = LocalSocketIOOutput(sio, self.bot_message_evt)
            if len(text) > WEB_MAX_CHARS:
                text = text[:WEB_MAX_CHARS]
                await output.send_text_message(session_id, CUT_NOTICE.format(limit=WEB_MAX_CHARS))
            metadata = data.get(self.metadata_key)
            message = UserMessage(
                guard_text(text[:MAX_MESSAGE_CHARS], allowed_payloads("domain.yml")),
                output, session_id, input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None,
            )
            notices = output.sent
            agent = server["app"].ctx.agent if "app" in server else None
            faults.raise_store_errors(agent)
            turn = await faults.handle_turn(on_new_message, message)
            said_anything = output.sent > notices
            paused = turn.taken and not said_anything and await faults.is_paused(agent, session_id)
            apology = turn.apology(said_anything=said_anything, paused=paused)
            if apology:
                await output.send_text_message(session_id, faults.response_text(apology))

        return webhook
