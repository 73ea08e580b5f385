"""Customers may type a button payload (``/intent{...}``): Rasa would take it as given,
skipping NLU (``/restart`` would reset the conversation, ``/inform{...}`` set entities).
Only the exact payloads of the assistant's own buttons pass; any other text that starts
with a slash is understood as ordinary text.

Rasa looks for the slash after the NLU's normaliser has run, so the guard reads the text
as the normaliser will leave it (overdue/normalizing.py: full-width ``／`` becomes ``/``,
emoji go, spaces are trimmed) with zero-width characters removed as well, and takes off
leading slashes until none is left: ``／restart``, ``/ /restart``, a zero-width space or an
emoji before the slash all end up as the word ``restart``.
"""

import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import yaml

from overdue.normalizing import normalize

MAX_MESSAGE_CHARS = 10_000  # longer messages are cut; the customer is told


def _button_payloads(node) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "buttons" and isinstance(value, list):
                for button in value:
                    if isinstance(button, dict) and isinstance(button.get("payload"), str):
                        yield button["payload"].strip()
            else:
                yield from _button_payloads(value)
    elif isinstance(node, list):
        for item in node:
            yield from _button_payloads(item)


@lru_cache(maxsize=4)
def allowed_payloads(domain_path: str | Path = "domain.yml") -> frozenset[str]:
    """Every payload a button in the domain's responses can send."""
    with open(domain_path, encoding="utf-8") as handle:
        domain = yaml.safe_load(handle) or {}
    return frozenset(_button_payloads(domain.get("responses") or {}))


def as_the_nlu_reads(text: str) -> str:
    """The normaliser's text, without zero-width or other invisible format characters."""
    visible = "".join(
        c for c in unicodedata.normalize("NFKC", text or "") if unicodedata.category(c) != "Cf"
    )
    return normalize(visible).strip()


def guard_text(text: str, allowed: frozenset[str]) -> str:
    """The text Rasa may see: own button payloads as they are, other slash commands as words."""
    if text.strip() in allowed:
        return text.strip()
    seen = as_the_nlu_reads(text)
    if not seen.startswith("/"):
        return text
    if seen in allowed:
        return seen
    while seen.startswith("/"):  # "/ /restart" and "//restart" too
        seen = as_the_nlu_reads(seen[1:])
    return seen
