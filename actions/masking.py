"""ID and phone numbers shown to agents and written to logs: only their last 4 digits."""
import re

_LONG_NUMBER = re.compile(r"(?<![0-9])([0-9]{6,17})([0-9Xx]{4})(?![0-9Xx])")


def mask_numbers(text: str) -> str:
    """'13800138866' -> '*******8866'; short numbers (amounts, tails) stay as they are."""
    return _LONG_NUMBER.sub(lambda m: "*" * len(m.group(1)) + m.group(2), text or "")


def mask_tail(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]
