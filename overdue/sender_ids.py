"""Conversation ids: which a client may choose, and how they go into Rasa's HTTP API.

A conversation id ends up in URLs (``/conversations/<id>/tracker/events``) and in other
parts' lookups: one such as ``victim/tracker/events?`` would make an agent's reply land in
someone else's conversation. So a client-chosen id is short and of a plain alphabet, and
every client of Rasa's API quotes the id as one path segment, with nothing left unescaped.
"""

import re
from urllib.parse import quote

MAX_SENDER_CHARS = 64
# Letters, digits, '_' and '-': what REST apps, WeChat openids and our session ids use.
_SENDER_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_SENDER_CHARS}}}")
SENDER_RULE = f"1 to {MAX_SENDER_CHARS} letters, digits, '_' or '-'"


def is_valid_sender(sender: object) -> bool:
    """A client-supplied id (a REST sender, a WeChat openid) may be used as a conversation id."""
    return isinstance(sender, str) and _SENDER_ID.fullmatch(sender) is not None


def conversation_path(conversation_id: str, endpoint: str) -> str:
    """``/conversations/<id>/<endpoint>`` with the id quoted as one segment ('/', '?', '#' and
    '%' too). ':' stays as it is, legal in a segment: Rasa's router does not unquote, and the
    channels' prefixes (``rest:``) use it."""
    return f"/conversations/{quote(conversation_id, safe=':')}/{endpoint}"
