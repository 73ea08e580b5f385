"""Web chat messages between Rasa instances, through Redis (``SOCKETIO_REDIS_URL``).

A customer's socket lives on one instance, but an agent's reply from the console may be
handled by another: python-socketio's Redis manager publishes it to every instance, and
the one holding the socket delivers it. Messages are pickled: the Redis must be trusted
(loopback, or a password).
"""

import asyncio
import logging

from socketio import AsyncRedisManager

from settings import current

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5
FANOUT_CHANNEL = "overdue-assistant-socketio"


class PatientRedisManager(AsyncRedisManager):
    """python-socketio 5.9 subscribes outside its own retry loop: with Redis down at that
    moment its listening task would spin, printing tracebacks. Wait and try again instead."""

    async def _listen(self):
        while True:
            try:
                async for message in super()._listen():
                    yield message
                return
            except Exception as error:  # redis' errors, whichever client raised them
                logger.error(
                    "web chat fan-out: Redis unreachable (%s); retrying in %d s",
                    error.__class__.__name__,
                    RETRY_SECONDS,
                )
                await asyncio.sleep(RETRY_SECONDS)
                self._redis_connect()


def client_manager() -> PatientRedisManager | None:
    """The Redis manager when several instances serve the web chat; None for one instance."""
    url = current().socketio_redis_url
    return PatientRedisManager(url, channel=FANOUT_CHANNEL) if url else None
