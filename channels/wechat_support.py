"""What the WeChat channel keeps between requests: retries already seen (so each message is
processed once and a retry gets the same reply), the numbered options each customer was
offered (the API client itself is gateways/wechat_api.py).

In memory for one instance; in Redis (``WECHAT_REDIS_URL``) when several instances serve
the same Official Account.
"""

import asyncio
import json
import logging
import time

logger = logging.getLogger(__name__)

# A signed callback is accepted this long around its timestamp (channels/wechat.py), and any
# copy of it within that window is a retry: answered from here, never handled twice.
REPLAY_WINDOW_SECONDS = 5 * 60
SEEN_SECONDS = (
    2 * REPLAY_WINDOW_SECONDS + 60
)  # WeChat retries within ~15 s; replays within the window


class MessageLedger:
    """Retries and numbered options, in memory or in Redis."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._redis = None
        if redis_url:
            import redis.asyncio

            self._redis = redis.asyncio.from_url(redis_url)
        self._seen: dict[str, tuple[float, asyncio.Future]] = {}
        self._options: dict[str, dict[str, str]] = {}
        self._nonces: dict[str, tuple[float, str]] = {}

    async def nonce_for(self, nonce: str, message_key: str) -> bool:
        """True unless ``nonce`` was already used, within the replay window, for another message.

        WeChat's retries of one message may carry the same nonce (they are answered from the
        ledger, once); a captured nonce on a different message is a forgery attempt."""
        if self._redis is not None:
            name = f"wechat:nonce:{nonce}"
            if await self._redis.set(name, message_key, nx=True, ex=SEEN_SECONDS):
                return True
            earlier = await self._redis.get(name)
            return earlier is not None and earlier.decode() == message_key
        now = time.monotonic()
        for old in [n for n, (at, _) in self._nonces.items() if now - at > SEEN_SECONDS]:
            del self._nonces[old]
        earlier = self._nonces.setdefault(nonce, (now, message_key))
        return earlier[1] == message_key

    async def claim(self, key: str) -> bool:
        """True for the first delivery of a message; False for a retry."""
        if self._redis is not None:
            return bool(await self._redis.set(f"wechat:msg:{key}", "1", nx=True, ex=SEEN_SECONDS))
        now = time.monotonic()
        for old in [k for k, (at, _) in self._seen.items() if now - at > SEEN_SECONDS]:
            del self._seen[old]
        if key in self._seen:
            return False
        self._seen[key] = (now, asyncio.get_running_loop().create_future())
        return True

    async def remember_reply(self, key: str, reply: str) -> None:
        if self._redis is not None:
            await self._redis.set(f"wechat:reply:{key}", reply, ex=SEEN_SECONDS)
            return
        entry = self._seen.get(key)
        if entry and not entry[1].done():
            entry[1].set_result(reply)

    async def reply_to_retry(self, key: str, timeout: float) -> str | None:
        """The reply given to the first delivery, waiting for it a little if need be."""
        if self._redis is not None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                reply = await self._redis.get(f"wechat:reply:{key}")
                if reply is not None:
                    return reply.decode()
                await asyncio.sleep(0.1)
            return None
        entry = self._seen.get(key)
        if entry is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(entry[1]), timeout)
        except asyncio.TimeoutError:
            return None

    async def offer(self, openid: str, payloads: list[str]) -> None:
        options = {str(i): payload for i, payload in enumerate(payloads, start=1)}
        if self._redis is not None:
            await self._redis.set(f"wechat:options:{openid}", json.dumps(options), ex=3600)
        else:
            self._options[openid] = options

    async def chosen(self, openid: str, text: str) -> str | None:
        """The payload of the numbered option the customer replied with, if any."""
        if self._redis is not None:
            raw = await self._redis.get(f"wechat:options:{openid}")
            options = json.loads(raw) if raw else {}
        else:
            options = self._options.get(openid, {})
        return options.get(text.strip())
