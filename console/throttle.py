"""Slows down repeated failed logins for a name or an address, so guessing does not pay."""
import time
from typing import Dict, Tuple

FREE_FAILURES = 3  # then each failure doubles the wait
MAX_DELAY_SECONDS = 8.0
FORGET_AFTER_SECONDS = 15 * 60


class LoginThrottle:
    def __init__(self) -> None:
        self._failures: Dict[str, Tuple[int, float]] = {}

    def delay(self, *keys: str) -> float:
        """Seconds to wait before checking a login for these keys (name, address)."""
        now = time.monotonic()
        worst = 0
        for key in keys:
            count, last = self._failures.get(key, (0, 0.0))
            if now - last > FORGET_AFTER_SECONDS:
                self._failures.pop(key, None)
                continue
            worst = max(worst, count)
        if worst < FREE_FAILURES:
            return 0.0
        return min(2.0 ** (worst - FREE_FAILURES), MAX_DELAY_SECONDS)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
