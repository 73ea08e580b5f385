"""Delivers an agent's words to the customer on their channel, besides storing them in
the conversation. WeChat: the customer-service API. REST has no way to push; the web
chat (socket.io) is not built yet, so those customers read replies in their history."""

import asyncio
import logging
from functools import lru_cache

from gateways.wechat_api import ConfiguredWeChatClient, client_from_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def wechat_client() -> ConfiguredWeChatClient | None:
    return client_from_settings()


async def deliver(channel: str, conversation_id: str, text: str) -> bool:
    """True when the channel took the message; never raises into the agent's page."""
    client = wechat_client() if channel == "wechat" else None
    if client is None:
        return False
    try:
        await asyncio.to_thread(client.message.send_text, conversation_id, text)
        return True
    except Exception:
        logger.exception("could not deliver an agent's reply over WeChat")
        return False
