"""Finds the last four digits of an ID number and of a phone number in what a customer types.

Customers give them in either order, in one message or two, with full-width digits, a
lower-case x, labels (身份证后四位 / 手机尾号) or none. Unlabelled groups are returned as
such: the caller tries both orders against the database.
"""

import re
import unicodedata
from dataclasses import dataclass, field

_GROUP = re.compile(r"(?<![0-9Xx])([0-9]{17}[0-9Xx]|1[0-9]{10}|[0-9]{3}[0-9Xx])(?![0-9Xx])")
_ID_WORDS = ("身份证", "证件", "身份", "sfz")
_PHONE_WORDS = ("手机", "电话", "手机号", "预留", "sj")
_LABEL_WINDOW = 12  # characters before a group that may label it


@dataclass
class IdentityDigits:
    id_last4: str | None = None
    phone_last4: str | None = None
    unlabeled: list[str] = field(default_factory=list)

    @property
    def found_any(self) -> bool:
        return bool(self.id_last4 or self.phone_last4 or self.unlabeled)


def find_identity_digits(text: str) -> IdentityDigits:
    normalized = unicodedata.normalize("NFKC", text or "")
    found = IdentityDigits()
    last_end = 0
    for match in _GROUP.finditer(normalized):
        group = match.group(1).upper()
        last4 = group[-4:]
        label_text = normalized[
            max(last_end, match.start() - _LABEL_WINDOW) : match.start()
        ].lower()
        last_end = match.end()
        if len(group) == 18 or last4.endswith("X") or any(w in label_text for w in _ID_WORDS):
            found.id_last4 = found.id_last4 or last4
        elif len(group) == 11 or any(w in label_text for w in _PHONE_WORDS):
            found.phone_last4 = found.phone_last4 or last4
        else:
            found.unlabeled.append(last4)
    return found
