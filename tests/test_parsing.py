"""Tests for overdue.parsing: amounts and dates as Chinese bank customers type them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from overdue.parsing import parse_amount, parse_date

SUNDAY = date(2026, 11, 29)  # a Sunday, one day before a 30-day month ends
FRIDAY = date(2026, 11, 27)
MONTH_END = date(2026, 1, 31)  # a Saturday; next month is a 28-day February
NEW_YEARS_EVE = date(2026, 12, 31)  # a Thursday
LEAP_DAY = date(2028, 2, 29)  # a Tuesday
LEAP_JAN_END = date(2028, 1, 31)
AFTER_LEAP_FEB = date(2027, 3, 1)  # the next 29 February is in 2028


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plain Arabic numbers, separators, currency words, full width
        ("3000", "3000.00"),
        ("3,000", "3000.00"),
        ("3000元", "3000.00"),
        ("3000块", "3000.00"),
        ("3000块钱", "3000.00"),
        ("３０００", "3000.00"),
        ("３，０００元", "3000.00"),
        ("12,000.00元", "12000.00"),
        ("1,234,567", "1234567.00"),
        ("¥500", "500.00"),
        ("￥800", "800.00"),
        ("3000RMB", "3000.00"),
        # Chinese numerals, including spoken shorthand
        ("三千", "3000.00"),
        ("三千五", "3500.00"),
        ("三千五百", "3500.00"),
        ("两千五百块", "2500.00"),
        ("两千五", "2500.00"),
        ("一万二", "12000.00"),
        ("五百", "500.00"),
        ("八百块钱", "800.00"),
        ("一百零五", "105.00"),
        ("一千零五十", "1050.00"),
        ("一万零五", "10005.00"),
        ("十万零二十", "100020.00"),
        ("二十五万三", "253000.00"),
        ("两百五", "250.00"),
        ("十块", "10.00"),
        ("十五", "15.00"),
        ("五万", "50000.00"),
        ("一亿二", "120000000.00"),
        ("一点五万", "15000.00"),
        ("兩千五", "2500.00"),  # traditional 兩
        ("九百九", "990.00"),
        ("八千多", "8000.00"),  # "more than 8000": the stated lower bound
        ("80多", "80.00"),
        # financial (anti-fraud) numerals
        ("壹仟贰佰", "1200.00"),
        ("伍佰圆", "500.00"),
        ("壹萬", "10000.00"),
        ("壹万贰仟叁佰肆拾伍元", "12345.00"),
        # Arabic digits mixed with units
        ("1.5万", "15000.00"),
        ("1万5", "15000.00"),
        ("1万2500", "12500.00"),
        ("3千", "3000.00"),
        ("2.5k", "2500.00"),
        ("2k", "2000.00"),
        ("3w", "30000.00"),
        ("1.2w", "12000.00"),
        ("１．２万", "12000.00"),
        # yuan / jiao / fen and rounding to cents
        ("一千二百三十四元五角", "1234.50"),
        ("三块五", "3.50"),
        ("3块5毛2", "3.52"),
        ("12.345元", "12.35"),
        ("1.005元", "1.01"),  # half-up, not banker's rounding
        ("99.994", "99.99"),
        ("56.8块", "56.80"),
        # amounts inside sentences
        ("月底先还3000", "3000.00"),
        ("我下周五还三千块", "3000.00"),
        ("我15号还两千", "2000.00"),
        ("12月3号还两千", "2000.00"),
        ("2026-12-05还3000", "3000.00"),
        ("周五3000块", "3000.00"),
        ("我想分12期每期1000", "1000.00"),
        ("3000元月底还", "3000.00"),
        ("先还一部分，大概八百吧", "800.00"),
        ("15号还3000元", "3000.00"),
        ("这个月只能还1万5", "15000.00"),
        ("我等一下再还两千五", "2500.00"),  # 一下 is a word, not the amount 1
        ("下週五還兩千", "2000.00"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    result = parse_amount(text)
    assert result == Decimal(expected)
    assert result is not None and result.as_tuple().exponent == -2  # always in cents


@pytest.mark.parametrize(
    "text",
    [
        "",
        "你好",
        "分6期",
        "身份证后四位302X",
        "我想一下",
        "千万别忘了",
        "半万",
        "15号",
        "下周五",
        "3点",
        "10:30",
        "3个月",
        "5kg",
        "5毛",
        "过几天",
        "2026-12-05",
        "13812345678",  # a phone number
        "6222021234567890123",  # a card number
    ],
)
def test_parse_amount_none(text: str) -> None:
    assert parse_amount(text) is None


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", date(2026, 11, 29)),
        ("明天", date(2026, 11, 30)),
        ("后天", date(2026, 12, 1)),
        ("大后天", date(2026, 12, 2)),
        ("今晚", date(2026, 11, 29)),
        ("明天上午", date(2026, 11, 30)),
        ("马上", date(2026, 11, 29)),
        ("昨天", date(2026, 11, 28)),  # past dates are returned; the caller judges them
        ("前天", date(2026, 11, 27)),
        # weeks start on Monday: next week runs 11-30 .. 12-06
        ("下周五", date(2026, 12, 4)),
        ("下星期五", date(2026, 12, 4)),
        ("下礼拜五", date(2026, 12, 4)),
        ("下个星期五", date(2026, 12, 4)),
        ("下周一", date(2026, 11, 30)),
        ("下周日", date(2026, 12, 6)),
        ("下下周一", date(2026, 12, 7)),
        ("上周三", date(2026, 11, 18)),
        ("周五", date(2026, 12, 4)),
        ("星期五", date(2026, 12, 4)),
        ("礼拜五", date(2026, 12, 4)),
        ("周日", date(2026, 11, 29)),  # today is Sunday
        ("星期天", date(2026, 11, 29)),
        ("这周五", date(2026, 11, 27)),  # this calendar week's Friday, already past
        ("本周五", date(2026, 11, 27)),
        ("月底", date(2026, 11, 30)),
        ("这个月底", date(2026, 11, 30)),
        ("本月底", date(2026, 11, 30)),
        ("月底前", date(2026, 11, 30)),
        ("下个月底", date(2026, 12, 31)),
        ("下月底", date(2026, 12, 31)),
        ("月初", date(2026, 12, 1)),
        ("下个月初", date(2026, 12, 1)),
        ("上个月底", date(2026, 10, 31)),
        ("上个月", date(2026, 10, 29)),
        ("月中", date(2026, 12, 15)),  # the 15th has passed
        ("这个月25号", date(2026, 11, 25)),
        ("本月28号", date(2026, 11, 28)),
        ("下个月", date(2026, 12, 29)),
        ("15号", date(2026, 12, 15)),  # the 15th has passed this month
        ("15日", date(2026, 12, 15)),
        ("十五号", date(2026, 12, 15)),
        ("１５号", date(2026, 12, 15)),
        ("29号", date(2026, 11, 29)),  # today counts as not yet passed
        ("30号", date(2026, 11, 30)),
        ("31号", date(2026, 11, 30)),  # November has no 31st: clamp
        ("二十五号", date(2026, 12, 25)),
        ("下个月5号", date(2026, 12, 5)),
        ("下月5号", date(2026, 12, 5)),
        ("下个月五号", date(2026, 12, 5)),
        ("下個月５號", date(2026, 12, 5)),
        ("下个月31号", date(2026, 12, 31)),
        ("12月3号", date(2026, 12, 3)),
        ("12月3日", date(2026, 12, 3)),
        ("十二月三日", date(2026, 12, 3)),
        ("11月1号", date(2027, 11, 1)),  # passed this year -> next year
        ("1月5号", date(2027, 1, 5)),
        ("2月30号", date(2027, 2, 28)),  # clamp to the last day of February
        ("明年3月5号", date(2027, 3, 5)),
        ("12月底", date(2026, 12, 31)),
        ("2026-12-05", date(2026, 12, 5)),
        ("2026/12/5", date(2026, 12, 5)),
        ("2026年12月5日", date(2026, 12, 5)),
        ("2027.1.8", date(2027, 1, 8)),
        ("6/15", date(2027, 6, 15)),
        ("12/5", date(2026, 12, 5)),
        ("今年12月5号", date(2026, 12, 5)),
        ("3天后", date(2026, 12, 2)),
        ("三天后", date(2026, 12, 2)),
        ("三天之后", date(2026, 12, 2)),
        ("10天以后", date(2026, 12, 9)),
        ("一周后", date(2026, 12, 6)),
        ("一个星期后", date(2026, 12, 6)),
        ("一个礼拜后", date(2026, 12, 6)),
        ("两周后", date(2026, 12, 13)),
        ("一个月后", date(2026, 12, 29)),
        ("年底", date(2026, 12, 31)),
        ("明年底", date(2027, 12, 31)),
        ("下週五", date(2026, 12, 4)),
        ("後天", date(2026, 12, 1)),
        # dates inside sentences
        ("我下周五还三千块", date(2026, 12, 4)),
        ("我15号还两千", date(2026, 12, 15)),
        ("月底先还3000", date(2026, 11, 30)),
        ("今天没钱，下周五还", date(2026, 12, 4)),
    ],
)
def test_parse_date_from_sunday(text: str, expected: date) -> None:
    assert parse_date(text, SUNDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("周五", date(2026, 11, 27)),  # today is Friday -> today
        ("星期五", date(2026, 11, 27)),
        ("这周五", date(2026, 11, 27)),
        ("下周五", date(2026, 12, 4)),
        ("周四", date(2026, 12, 3)),
        ("周六", date(2026, 11, 28)),
        ("下周一", date(2026, 11, 30)),
        ("大后天", date(2026, 11, 30)),
        ("一周后", date(2026, 12, 4)),
    ],
)
def test_parse_date_from_friday(text: str, expected: date) -> None:
    assert parse_date(text, FRIDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天", date(2026, 2, 1)),
        ("月底", date(2026, 1, 31)),
        ("下个月底", date(2026, 2, 28)),
        ("下个月", date(2026, 2, 28)),  # Feb 31 does not exist: clamp
        ("一个月后", date(2026, 2, 28)),
        ("下个月31号", date(2026, 2, 28)),
        ("下个月30号", date(2026, 2, 28)),
        ("30号", date(2026, 2, 28)),  # the 30th has passed; February clamps
        ("31号", date(2026, 1, 31)),
        ("15号", date(2026, 2, 15)),
        ("2月30号", date(2026, 2, 28)),
        ("月初", date(2026, 2, 1)),
        ("这周五", date(2026, 1, 30)),
        ("下周五", date(2026, 2, 6)),
        ("周日", date(2026, 2, 1)),
        ("两周后", date(2026, 2, 14)),
    ],
)
def test_parse_date_at_month_end(text: str, expected: date) -> None:
    assert parse_date(text, MONTH_END) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天", date(2027, 1, 1)),
        ("15号", date(2027, 1, 15)),
        ("下个月", date(2027, 1, 31)),
        ("下个月底", date(2027, 1, 31)),
        ("月初", date(2027, 1, 1)),
        ("1月5号", date(2027, 1, 5)),
        ("下周五", date(2027, 1, 8)),
        ("年底", date(2026, 12, 31)),
        ("3天后", date(2027, 1, 3)),
    ],
)
def test_parse_date_year_rollover(text: str, expected: date) -> None:
    assert parse_date(text, NEW_YEARS_EVE) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (LEAP_DAY, "月底", date(2028, 2, 29)),
        (LEAP_DAY, "明天", date(2028, 3, 1)),
        (LEAP_DAY, "下个月", date(2028, 3, 29)),
        (LEAP_DAY, "29号", date(2028, 2, 29)),
        (LEAP_DAY, "一周后", date(2028, 3, 7)),
        (LEAP_JAN_END, "下个月", date(2028, 2, 29)),
        (LEAP_JAN_END, "下个月31号", date(2028, 2, 29)),
        (LEAP_JAN_END, "2月30号", date(2028, 2, 29)),
        (AFTER_LEAP_FEB, "2月29号", date(2028, 2, 29)),
        (AFTER_LEAP_FEB, "2027-02-29", date(2027, 2, 28)),  # explicit invalid day clamps
        (date(2026, 12, 1), "月初", date(2026, 12, 1)),  # on the 1st, 月初 is today
        (date(2026, 12, 1), "这个月初", date(2026, 12, 1)),
        (date(2026, 11, 10), "15号", date(2026, 11, 15)),  # not yet passed: this month
        (date(2026, 11, 10), "月中", date(2026, 11, 15)),
        (date(2026, 11, 10), "这个月中", date(2026, 11, 15)),
    ],
)
def test_parse_date_edge_cases(today: date, text: str, expected: date) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "你好",
        "过几天",
        "发工资那天",
        "几号",
        "等我有钱了",
        "3000",
        "三千五",
        "分6期",
        "12月32号",
        "13月1号",
        "2026-13-01",
        "下周",  # no weekday given: too vague
        "我下周一定还",  # "surely next week", not next Monday
        "下星期一定还清",
        "周末",  # Saturday or Sunday?
        "过两天",
        "这两天",
        "三天内",
        "十点前",
        "春节后",
        "九月份",
    ],
)
def test_parse_date_none(text: str) -> None:
    assert parse_date(text, SUNDAY) is None
