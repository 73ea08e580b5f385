"""Reads the one-time codes a test server sent, from its SMS outbox file (sms/outbox.py)."""
import json
import re
from pathlib import Path
from typing import List, Optional

CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def lines(self) -> List[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def mark(self) -> int:
        """Where the outbox stands now: codes sent after this are new."""
        return len(self.lines())

    def codes_since(self, mark: int, phone_tail: Optional[str] = None) -> List[str]:
        found = []
        for line in self.lines()[mark:]:
            if phone_tail is None or line["phone"].endswith(phone_tail):
                match = CODE.search(line["text"])
                if match:
                    found.append(match.group(1))
        return found

    def code_since(self, mark: int, phone_tail: Optional[str] = None) -> str:
        codes = self.codes_since(mark, phone_tail)
        assert codes, f"no code sent to a phone ending {phone_tail} since line {mark} of {self.path}"
        return codes[-1]
