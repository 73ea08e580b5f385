"""Conversations over Rasa's REST channel, timed turn by turn: the verified customer of this
assistant, and many conversations at once of any kind."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from benchmarks.measure import summary_ms
from benchmarks.turn_profile import IDENTITIES, PHONE_TAILS, newest_code, outbox_lines

# One conversation: (session, its index, where its turn latencies go) -> done.
Conversation = Callable[[aiohttp.ClientSession, int, list[float]], Awaitable[None]]


async def say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> float:
    """One turn: seconds until the bot's whole answer came back."""
    started = time.perf_counter()
    await reply(session, url, sender, text)
    return time.perf_counter() - started


async def reply(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> list[dict]:
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as resp:
        resp.raise_for_status()
        return await resp.json()


async def verify(
    session: aiohttp.ClientSession,
    url: str,
    sender: str,
    index: int,
    latencies: list[float],
    outbox: Path,
    verifying: dict[str, asyncio.Lock],
) -> None:
    """The three turns before account questions are answered: a question, the identity
    digits, the SMS code from the outbox. Each counts as a turn."""
    latencies.append(await say(session, url, sender, "我现在欠多少钱"))
    identity = IDENTITIES[index % len(IDENTITIES)]
    # One conversation of a phone at a time between the digits and the code, so codes never cross.
    async with verifying.setdefault(identity, asyncio.Lock()):
        mark = outbox_lines(outbox)
        latencies.append(await say(session, url, sender, identity))
        latencies.append(
            await say(session, url, sender, newest_code(outbox, PHONE_TAILS[identity], mark))
        )


def client_session() -> aiohttp.ClientSession:
    # One connection per conversation, as with real clients.
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=300), connector=aiohttp.TCPConnector(limit=0)
    )


async def timed_conversations(conversations: int, conversation: Conversation) -> dict[str, object]:
    """Runs that many conversations at once; turns/s over the whole and the latency summary."""
    latencies: list[float] = []
    async with client_session() as session:
        started = time.perf_counter()
        await asyncio.gather(*(conversation(session, i, latencies) for i in range(conversations)))
        elapsed = time.perf_counter() - started
    return {
        "conversations": conversations,
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "seconds": round(elapsed, 1),
        **summary_ms(latencies),
    }
