"""What a customer is told when a part of the system fails, in one place for every channel.

Two cases, told apart because the customer should do different things:

- the message was **not taken**: the conversation store (PostgreSQL) or the Redis lock
  store is unreachable, so nothing was stored. ``utter_service_unavailable`` asks the
  customer to send it again (the REST channel answers 503);
- the message was **stored but not answered**: an action failed because the action server
  is unreachable (Rasa logs it and carries on without a word), or the bot said nothing.
  ``utter_service_interrupted`` says so.

Each failure is one clear line in the log. Nothing here ever shows a customer a stack trace.
"""

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from rasa.core.channels.channel import UserMessage

logger = logging.getLogger(__name__)

NOT_TAKEN = "utter_service_unavailable"
NOT_ANSWERED = "utter_service_interrupted"
# How rasa.core.processor reports an action it could not run (rasa 3.6, pinned).
FAILED_ACTION_LOG = "Encountered an exception while running action"
FALLBACK_TEXT = "抱歉，系统暂时繁忙，请您稍后再试。"  # only if domain.yml lacks the response


@dataclass
class Turn:
    """One customer message being handled, and what went wrong with it."""

    sender_id: str
    failed_actions: int = 0
    error: BaseException | None = None

    @property
    def taken(self) -> bool:
        return self.error is None

    def apology(self, said_anything: bool, paused: bool) -> str | None:
        """The response to send the customer now, if any."""
        if self.error is not None:
            return NOT_TAKEN
        if self.failed_actions or not (said_anything or paused):
            return NOT_ANSWERED
        return None


_current_turn: ContextVar[Turn | None] = ContextVar("current_turn", default=None)


class _FailedActionSpotter(logging.Filter):
    """Rasa swallows an action that failed and only logs it: the log is the one place a
    channel can learn of it. The turn is found through the context of the handling task;
    the record itself is left alone."""

    def filter(self, record: logging.LogRecord) -> bool:
        turn = _current_turn.get()
        if turn is None or record.levelno < logging.ERROR:
            return True
        if record.getMessage().startswith(FAILED_ACTION_LOG):
            turn.failed_actions += 1
        return True


_spotter = _FailedActionSpotter()


def unreachable_part(error: BaseException) -> str | None:
    """The part that failed, in words an operator acts on; None for an unexpected error."""
    import redis
    import sqlalchemy.exc
    from rasa.core.lock_store import LockError

    cause = f"{error.__class__.__name__}: {' '.join(str(error).split())[:200]}"
    if isinstance(error, (redis.exceptions.RedisError, LockError)):
        return f"the Redis lock store is unreachable ({cause})"
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        return f"the conversation database is unreachable ({cause})"
    return None


async def handle_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
) -> Turn:
    """Runs Rasa on the message; never raises, and says in the returned turn what failed."""
    logging.getLogger("rasa.core.processor").addFilter(_spotter)  # idempotent
    turn = Turn(message.sender_id)
    token = _current_turn.set(turn)
    try:
        await on_new_message(message)
    except Exception as error:  # the customer gets an apology; the log gets the cause
        turn.error = error
        part = unreachable_part(error)
        # An outage is one clear line per message; anything else needs its stack trace.
        logger.log(
            logging.ERROR,
            "conversation %s: message not processed, %s; the customer is asked to send it again",
            message.sender_id,
            part or "unexpected error",
            exc_info=None if part else error,
        )
    finally:
        _current_turn.reset(token)
    if turn.failed_actions:
        logger.error(
            "conversation %s: %d action(s) failed (is the action server reachable?); the message "
            "is stored and the customer gets an apology",
            message.sender_id,
            turn.failed_actions,
        )
    return turn


async def is_paused(agent: Any, sender_id: str) -> bool:
    """A person has taken over: the bot's silence is on purpose."""
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
        return bool(tracker and tracker.is_paused())
    except Exception:
        logger.error("conversation %s: could not read whether an agent has taken over", sender_id)
        return False


@lru_cache(maxsize=8)
def response_text(name: str, domain_path: str = "domain.yml") -> str:
    """A customer text from the domain's responses, where all customer wording lives."""
    try:
        with open(domain_path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)["responses"][name][0]["text"]
    except Exception:
        logger.error("response %s is missing from %s", name, domain_path)
        return FALLBACK_TEXT


def raise_store_errors(agent: Any) -> None:
    """Rasa wraps the conversation store in a ``FailSafeTrackerStore``: with the database
    down it starts the conversation afresh in memory and later drops it, so a customer
    half-way through would be asked who they are and their message would never be stored.
    Errors are raised instead, for the channel to apologise and ask for the message again.
    Stale pooled connections are tested before use, so service resumes by itself after a
    database restart."""
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore

    store = getattr(agent, "tracker_store", None)
    if not isinstance(store, FailSafeTrackerStore) or store._on_tracker_store_error is _reraise:
        return
    store._on_tracker_store_error = _reraise
    primary = store._tracker_store
    if isinstance(primary, SQLTrackerStore):
        primary.engine.pool._pre_ping = True  # what create_engine(pool_pre_ping=True) sets


def _reraise(error: Exception) -> None:
    raise error
