"""Rasa's ``RedisLockStore`` with the faults the production tests found mended (same keys
and ticket format; run it on every instance, its ticket numbers differ from Rasa's).

- A ticket lives as long as its instance does: a waiting or a serving instance keeps
  pushing its expiry on, so only a crashed instance's ticket runs out. In Rasa 3.6 a
  ticket waiting behind a crashed instance's could run out first, and then its
  conversation waited forever (``now_serving`` is 0 once no ticket is left).
- Each change to a conversation's lock is one Redis transaction. Rasa reads, changes and
  writes back, so two instances at the same moment could lose a ticket.
- Ticket numbers come from a counter that does not restart, so a ticket that ran out and
  is kept alive again cannot share its number with a newer one.
- A lock that cannot be released (Redis went away mid-turn) is logged, not raised: the turn
  is done and stored, and the ticket runs out by itself.

Registered in endpoints.production.yml as ``persistence.lock_store.DurableRedisLockStore``.
"""

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

WAIT_SECONDS = 0.2  # between looks at a busy conversation's lock (Rasa: 1 s)
COUNTER_SECONDS = 3600  # a conversation's ticket counter outlives any ticket by far


class DurableRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        # Rasa passes a custom lock store its endpoint config only.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _counter_key(self, conversation_id: str) -> str:
        return f"{self.key_prefix[: -len('lock:')]}lock-ticket:{conversation_id}"

    def _change(self, conversation_id: str, change: Callable[[TicketLock], None]) -> TicketLock:
        """Read, change and write a conversation's lock as one transaction (retried on a race)."""
        key = self.key_prefix + conversation_id

        def attempt(pipe) -> TicketLock:
            stored = pipe.get(key)
            lock = (
                TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
            )
            change(lock)
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return lock

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            number = int(self.red.incr(self._counter_key(conversation_id)))
            self.red.expire(self._counter_key(conversation_id), COUNTER_SECONDS)
            self._change(conversation_id, lambda lock: _keep(lock, number, lock_lifetime))
            return number
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = WAIT_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            while True:
                lock = self._change(
                    conversation_id, lambda lock: _keep(lock, ticket, lock_lifetime)
                )
                if lock.now_serving == ticket:
                    break
                await asyncio.sleep(wait_time_in_seconds)
            heartbeat = asyncio.create_task(
                self._keep_alive(conversation_id, ticket, lock_lifetime)
            )
            try:
                yield lock
            finally:
                heartbeat.cancel()
        finally:
            self.cleanup(conversation_id, ticket)

    async def _keep_alive(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """While a turn runs, its ticket stays alive (a long turn is not a crashed one)."""
        while True:
            await asyncio.sleep(lifetime / 3)
            try:
                self._change(conversation_id, lambda lock: _keep(lock, ticket, lifetime))
            except Exception as error:
                logger.warning(
                    "conversation %s: could not extend its lock (%s)", conversation_id, error
                )

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        try:
            self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))
        except Exception as error:
            logger.error(
                "conversation %s: could not release its lock (%s); it runs out by itself",
                conversation_id,
                error.__class__.__name__,
            )


def _keep(lock: TicketLock, number: int, lifetime: float) -> None:
    """The ticket in the lock with a fresh expiry, in the queue by number."""
    expires = time.time() + lifetime
    others = [ticket for ticket in lock.tickets if ticket.number != number]
    lock.tickets = deque(
        sorted([*others, Ticket(number, expires)], key=lambda ticket: ticket.number)
    )
