"""How long personal data is kept (``retention:`` in policy.yml), as cut-off moments."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from settings import current

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "policy.yml"

# The kinds of data with a retention period, as policy.yml names them (``<kind>_days``).
KINDS = (
    "conversations",
    "ticket_summaries",
    "satisfaction_ratings",
    "reminders",
    "one_time_codes",
    "login_records",
    "audit_log",
)
# The reminder log is how the weekly limit on reminders is kept: it must reach back a week.
MIN_REMINDER_DAYS = 7


class RetentionPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class RetentionRules:
    days: dict[str, int]  # per kind
    batch_size: int  # rows per transaction: no table is held up for long
    run_every_hours: int  # the scheduler looks every few minutes; retention runs this seldom

    @classmethod
    def from_dict(cls, raw: dict) -> "RetentionRules":
        days = {kind: int(raw[f"{kind}_days"]) for kind in KINDS}
        rules = cls(
            days=days,
            batch_size=int(raw["batch_size"]),
            run_every_hours=int(raw["run_every_hours"]),
        )
        if (
            any(value < 1 for value in days.values())
            or rules.batch_size < 1
            or rules.run_every_hours < 1
        ):
            raise RetentionPolicyError(
                "retention periods, batch_size and run_every_hours must be at least 1"
            )
        if days["reminders"] < MIN_REMINDER_DAYS:
            raise RetentionPolicyError(
                f"reminders_days must be at least {MIN_REMINDER_DAYS}: the weekly limit reads them"
            )
        return rules

    def cutoff(self, kind: str, now: datetime) -> datetime:
        """Data of this kind from before this moment is past its retention period."""
        return now - timedelta(days=self.days[kind])

    def due(self, last_run_started_at: datetime | None, now: datetime) -> bool:
        return last_run_started_at is None or now - last_run_started_at >= timedelta(
            hours=self.run_every_hours
        )


def load_retention_rules(path: str | None = None) -> RetentionRules:
    """From the policy file in force (``LOAN_POLICY_PATH``, as for the collection rules)."""
    path = path or str(current().loan_policy_path)
    with open(path, encoding="utf-8") as handle:
        return RetentionRules.from_dict(yaml.safe_load(handle)["retention"])
