"""The bank's calendar is China time, whatever the server's time zone."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from settings import current

CHINA = ZoneInfo("Asia/Shanghai")


def now_in_china() -> datetime:
    return datetime.now(CHINA)


def today_in_china() -> date:
    """The bank's business date: today in China, unless ``BANK_BUSINESS_DATE`` (ISO) pins it.

    Pinning is how a test run, a replay or a night batch that crosses midnight keeps one date
    for every figure it shows; production leaves it unset.
    """
    pinned = current().bank_business_date.strip()
    return date.fromisoformat(pinned) if pinned else now_in_china().date()


def add_months(day: date, months: int, day_of_month: int | None = None) -> date:
    """The same day (or ``day_of_month``) ``months`` later, earlier when negative.

    A day the month lacks becomes its last day: 31 January + 1 month is 28 February.
    """
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    wanted = day.day if day_of_month is None else day_of_month
    return date(year, month + 1, min(wanted, calendar.monthrange(year, month + 1)[1]))


def format_day(day: date | None) -> str:
    """2026-11-30 -> '2026年11月30日', as customers read dates."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def as_china(moment: datetime) -> datetime:
    """A stored moment in China time. SQLite gives back naive values, and we always store
    China time, so a naive value is China time; PostgreSQL gives back aware values."""
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)
