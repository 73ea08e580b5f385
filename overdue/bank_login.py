"""The bank's own login, vouched for by a short-lived signed token (issue 13's "identity from
where the customer already is").

A bank page whose customer has signed in to online banking passes ``bankLoginToken`` in the
widget's config: a JWT (HS256, ``BANK_LOGIN_TOKEN_SECRET``) whose ``sub`` is the customer id
and whose ``exp`` is minutes away. The socket channel checks it and marks each message of that
session with ``metadata["bank_login_customer_id"]``; an expired, forged or altered token is
refused and the customer is offered the usual digits. The bank's login server mints these
tokens; here only the demo page asks the console for one (console/bank_login_demo.py).
"""

import logging
import time
from dataclasses import dataclass

import jwt

from settings import current

logger = logging.getLogger(__name__)

SECRET_VARIABLE = "BANK_LOGIN_TOKEN_SECRET"
ALGORITHM = "HS256"
AUDIENCE = "overdue-assistant-webchat"
LIFETIME_SECONDS = (
    10 * 60
)  # the page is served with a fresh one; a reconnect within the session keeps it
MAX_TOKEN_CHARS = 1000


@dataclass(frozen=True)
class BankLogin:
    customer_id: int
    expired: bool  # correctly signed, but past its expiry


def _secret(secret: str | None) -> str:
    return secret if secret is not None else current().bank_login_token_secret


def mint_token(
    customer_id: int,
    secret: str | None = None,
    lifetime_s: int = LIFETIME_SECONDS,
    now: float | None = None,
) -> str:
    key = _secret(secret)
    if not key:
        raise RuntimeError(f"{SECRET_VARIABLE} is not set")
    issued = int(now if now is not None else time.time())
    return jwt.encode(
        {"sub": str(customer_id), "aud": AUDIENCE, "iat": issued, "exp": issued + lifetime_s},
        key,
        algorithm=ALGORITHM,
    )


def read_token(token: object, secret: str | None = None) -> BankLogin | None:
    """The customer a token vouches for; None when it is forged, altered or malformed (or no
    secret is configured). An expired but genuine token comes back with ``expired=True``."""
    key = _secret(secret)
    if not key or not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        return None
    options = {"require": ["sub", "exp", "aud"]}
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, options=options)
        expired = False
    except jwt.ExpiredSignatureError:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={**options, "verify_exp": False},
        )
        expired = True
    except jwt.PyJWTError:
        return None
    try:
        return BankLogin(int(claims["sub"]), expired)
    except (TypeError, ValueError):
        return None
