"""The console's calls to the Rasa server's HTTP API: read a conversation, add to it."""
import os
from typing import Any, Dict, List, Optional

import httpx

from channels.sender_ids import conversation_path


class RasaAPI:
    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None) -> None:
        self.base_url = (base_url or os.environ.get("RASA_URL") or "http://localhost:5005").rstrip("/")
        self.token = token or os.environ.get("RASA_API_TOKEN")

    def _params(self, **params: Any) -> Dict[str, Any]:
        return {**params, **({"token": self.token} if self.token else {})}

    async def tracker(self, conversation_id: str) -> Dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(self.base_url + conversation_path(conversation_id, "tracker"),
                                        params=self._params(include_events="ALL"))
            response.raise_for_status()
            return response.json()

    async def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.base_url + conversation_path(conversation_id, "tracker/events"),
                                         params=self._params(), json=events)
            response.raise_for_status()

    async def run_action(self, conversation_id: str, action: str) -> None:
        """Runs an action, sending what it says through the conversation's own channel."""
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.base_url + conversation_path(conversation_id, "execute"),
                                         params=self._params(output_channel="latest"), json={"name": action})
            response.raise_for_status()
