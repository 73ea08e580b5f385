"""ID and phone numbers shown to agents and written to logs: only their last 4 digits.

Customers type numbers every way a keyboard allows: full-width (``４４０１０６…``), in groups
(``440106 1990…``, ``138-0013-8866``). The text is normalised first (full-width digits, X,
dashes and spaces to plain ones), so every form of a long number is found and masked.
"""

import re

_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},
        "Ｘ": "X",
        "ｘ": "x",
        "－": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "\u3000": " ",
        "\u00a0": " ",
    }
)
# 10 or more digits (an ID's last may be X), one space or dash allowed between any two.
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){5,16}(?:[ -]?[0-9Xx]){4}(?![0-9Xx])")
_DIGIT = re.compile(r"[0-9Xx]")


def normalise_numbers(text: str) -> str:
    """Full-width digits, X, dashes and spaces as their plain forms; nothing else changes."""
    return (text or "").translate(_FULL_WIDTH)


def _mask(match: "re.Match[str]") -> str:
    number = match.group(0)
    keep_from = [m.start() for m in _DIGIT.finditer(number)][-4]
    return _DIGIT.sub("*", number[:keep_from]) + number[keep_from:]


def mask_numbers(text: str) -> str:
    """'13800138866' -> '*******8866', '138-0013-8866' -> '***-****-8866'; short numbers
    (amounts, tails) stay as they are."""
    return _LONG_NUMBER.sub(_mask, normalise_numbers(text))


def mask_tail(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]
