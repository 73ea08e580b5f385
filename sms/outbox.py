"""The local outbox: every message appended as one JSON line ``{phone, text, sent_at}``.

For development and tests only (production refuses to start on it unless told it is a
test): the code can be read from the file, ``var/sms-outbox.jsonl`` unless
``SMS_OUTBOX_PATH`` names another.
"""

import json
import threading
from pathlib import Path

from overdue.clock import now_in_china
from settings import current
from sms import SmsMessage

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "var" / "sms-outbox.jsonl"
_write_lock = threading.Lock()


class OutboxGateway:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_env(cls) -> "OutboxGateway":
        return cls(Path(current().sms_outbox_path))

    def send(self, message: SmsMessage) -> None:
        line = json.dumps(
            {"phone": message.phone, "text": message.text, "sent_at": now_in_china().isoformat()},
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write of a whole line, under a lock and in append mode: lines never interleave.
        with _write_lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
