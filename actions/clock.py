"""The bank's calendar is China time, whatever the server's time zone."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now_in_china() -> datetime:
    return datetime.now(CHINA)


def today_in_china() -> date:
    return now_in_china().date()
