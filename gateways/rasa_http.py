"""Rasa's HTTP API as the console (asynchronous) and the reminder scheduler (a plain process,
synchronous) call it: one base URL, one token, every conversation id quoted as one path
segment (``overdue.sender_ids.conversation_path``)."""

from datetime import datetime
from typing import Any

import httpx

from gateways import SendFailed
from overdue.clock import CHINA
from overdue.sender_ids import conversation_path
from settings import current


class _RasaEndpoint:
    def __init__(self, base_url: str | None = None, token: str | None = None) -> None:
        settings = current()
        self.base_url = (base_url or settings.rasa_url).rstrip("/")
        self.token = token if token is not None else (settings.rasa_api_token or None)

    def _params(self, **params: Any) -> dict[str, Any]:
        return {**params, **({"token": self.token} if self.token else {})}

    def _url(self, conversation_id: str, endpoint: str) -> str:
        return self.base_url + conversation_path(conversation_id, endpoint)


class RasaAPI(_RasaEndpoint):
    """The console's calls: read a conversation, add to it, run an action in it."""

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(
                self._url(conversation_id, "tracker"), params=self._params(include_events="ALL")
            )
            response.raise_for_status()
            return response.json()

    async def append(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                self._url(conversation_id, "tracker/events"), params=self._params(), json=events
            )
            response.raise_for_status()

    async def run_action(self, conversation_id: str, action: str) -> None:
        """Runs an action, sending what it says through the conversation's own channel."""
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                self._url(conversation_id, "execute"),
                params=self._params(output_channel="latest"),
                json={"name": action},
            )
            response.raise_for_status()


class RasaConversations(_RasaEndpoint):
    """What a reminder needs: is Rasa up, how a conversation stands, and a way in."""

    def __init__(
        self, base_url: str | None = None, token: str | None = None, timeout: float = 30
    ) -> None:
        super().__init__(base_url, token)
        self.timeout = timeout

    def available(self) -> bool:
        """The server answers with a model loaded: reminders can enter conversations."""
        try:
            return (
                httpx.get(
                    f"{self.base_url}/status", params=self._params(), timeout=self.timeout
                ).status_code
                == 200
            )
        except httpx.HTTPError:
            return False

    def state(self, conversation_id: str) -> tuple[datetime | None, bool]:
        """When anything last happened in the conversation, and whether a person has it."""
        try:
            response = httpx.get(
                self._url(conversation_id, "tracker"),
                params=self._params(include_events="NONE"),
                timeout=self.timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise SendFailed("rasa_unavailable") from error
        tracker = response.json()
        latest = tracker.get("latest_event_time")
        # Reading a tracker opens a session (session-start events stamped now): a session in
        # which nobody has written yet is not a conversation in progress.
        if not (
            (tracker.get("latest_message") or {}).get("text") or tracker.get("latest_input_channel")
        ):
            latest = None
        return (datetime.fromtimestamp(latest, CHINA) if latest else None), bool(
            tracker.get("paused")
        )

    def trigger(
        self, conversation_id: str, intent: str, entities: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The reminder as an external event; what the bot said in answer (not sent anywhere)."""
        try:
            response = httpx.post(
                self._url(conversation_id, "trigger_intent"),
                params=self._params(),
                json={"name": intent, "entities": entities},
                timeout=self.timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise SendFailed("rasa_unavailable") from error
        return response.json().get("messages") or []
