"""Web chat session ids, issued and signed by the server.

A browser used to choose its own session id, and a conversation was whatever id it named.
Now the server issues ``web-<random>-<signature>`` (HMAC-SHA256 with ``WEBCHAT_SESSION_SECRET``):
an id the server did not sign is refused and the browser gets a fresh session. The id is the
conversation's id in the tracker store; its ``web-`` prefix and the REST channel's ``rest:``
keep one channel from addressing another's conversations.
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
from functools import lru_cache

from settings import current

logger = logging.getLogger(__name__)

SECRET_VARIABLE = "WEBCHAT_SESSION_SECRET"
PREFIX = "web-"
_SESSION_ID = re.compile(r"web-([0-9a-f]{24})-([A-Za-z0-9_-]{22})")


@lru_cache(maxsize=1)
def _process_secret() -> bytes:
    logger.warning(
        "%s is not set: web chat sessions end when this server restarts", SECRET_VARIABLE
    )
    return secrets.token_bytes(32)


def _secret(secret: str | None) -> bytes:
    value = secret if secret is not None else current().webchat_session_secret
    return value.encode() if value else _process_secret()


def _signature(nonce: str, secret: str | None) -> str:
    digest = hmac.new(_secret(secret), f"{PREFIX}{nonce}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_session_id(secret: str | None = None) -> str:
    """A new session id: random, signed by this server."""
    nonce = secrets.token_hex(12)
    return f"{PREFIX}{nonce}-{_signature(nonce, secret)}"


def is_issued(session_id: object, secret: str | None = None) -> bool:
    """True for an id this server (or one sharing its secret) issued, unaltered."""
    if not isinstance(session_id, str):
        return False
    match = _SESSION_ID.fullmatch(session_id)
    return match is not None and hmac.compare_digest(
        match.group(2), _signature(match.group(1), secret)
    )
