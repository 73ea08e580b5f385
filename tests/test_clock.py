"""The business date: China's calendar day, or the date a run pins."""
from datetime import date, datetime, timedelta, timezone

from overdue import clock


def test_today_is_the_day_in_china_not_on_the_server(monkeypatch):
    monkeypatch.delenv("BANK_BUSINESS_DATE", raising=False)
    # 16:30 UTC is already half past midnight in China.
    late_utc = datetime(2026, 11, 29, 16, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now_in_china", lambda: late_utc.astimezone(clock.CHINA))
    assert clock.today_in_china() == date(2026, 11, 30)


def test_a_pinned_business_date_holds_across_midnight(monkeypatch):
    monkeypatch.setenv("BANK_BUSINESS_DATE", "2026-11-29")
    monkeypatch.setattr(clock, "now_in_china", lambda: datetime(2026, 11, 30, 0, 1, tzinfo=clock.CHINA))
    assert clock.today_in_china() == date(2026, 11, 29)
    monkeypatch.setenv("BANK_BUSINESS_DATE", "")
    assert clock.today_in_china() == date(2026, 11, 30)
    assert clock.today_in_china() - date(2026, 11, 29) == timedelta(days=1)
