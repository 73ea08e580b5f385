"""What a client may put in a message's metadata: anything but what the server vouches for.

``bank_login_customer_id`` means "the bank's own login says this is customer N" and makes
the identity actions treat the conversation as verified; only the web chat's socket channel
sets it, after checking a signed bank-login token (overdue/bank_login.py). Whatever a client
sends under that name, on any channel, is dropped.
"""

from typing import Any

BANK_LOGIN_KEY = "bank_login_customer_id"
SERVER_ONLY_KEYS = frozenset({BANK_LOGIN_KEY})


def client_metadata(metadata: Any) -> dict[str, Any] | None:
    """The client's metadata without the keys only the server may set; None when not a dict."""
    if not isinstance(metadata, dict):
        return None
    return {key: value for key, value in metadata.items() if key not in SERVER_ONLY_KEYS}
