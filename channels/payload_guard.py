"""Customers may type a button payload (``/intent{...}``): Rasa would take it as given,
skipping NLU. Only the exact payloads of the assistant's own buttons pass; any other
slash command loses its slash and is understood as ordinary text."""
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Iterator, Union

import yaml

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
def allowed_payloads(domain_path: Union[str, Path] = "domain.yml") -> FrozenSet[str]:
    """Every payload a button in the domain's responses can send."""
    with open(domain_path, encoding="utf-8") as handle:
        domain = yaml.safe_load(handle) or {}
    return frozenset(_button_payloads(domain.get("responses") or {}))


def guard_text(text: str, allowed: FrozenSet[str]) -> str:
    """The text Rasa may see: own button payloads as they are, other slash commands as words."""
    stripped = text.strip()
    if not stripped.startswith("/") or stripped in allowed:
        return text
    return stripped.lstrip("/").strip()
