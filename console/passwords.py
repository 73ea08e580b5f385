"""Agents' passwords: scrypt with a random salt per password, compared in constant time."""
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
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P, dklen=32)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def new_password() -> str:
    return secrets.token_urlsafe(12)
