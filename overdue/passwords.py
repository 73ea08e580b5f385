"""Agents' passwords: scrypt with a random salt per password, compared in constant time.
scrypt is slow on purpose: callers run it off the event loop (console/app.py)."""

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1  # about 50 ms a check: slow for a guesser, quick for a person


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P, dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


# Checked when the name is unknown, so an unknown name costs the same scrypt work as a known
# one: the time of an answer does not tell which names exist.
_UNKNOWN_NAME_HASH = hash_password(secrets.token_urlsafe(16))


def verify_password_or_dummy(password: str, stored: "str | None") -> bool:
    """``verify_password``, doing the same work (and failing) when there is no stored hash."""
    if stored is None:
        verify_password(password, _UNKNOWN_NAME_HASH)
        return False
    return verify_password(password, stored)


def new_password() -> str:
    return secrets.token_urlsafe(12)
