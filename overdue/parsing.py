"""Turn the money amounts, dates and counts that Chinese bank customers type into values.

``parse_amount`` finds an amount such as "3,000元", "两千五", "1.5万", "2.5k" or
"壹仟贰佰" in a short message and returns a ``Decimal`` rounded half-up to cents.
``parse_date`` resolves expressions such as "明天", "下周五", "月底", "15号",
"下个月5号", "12月3日" or "三天后" against a caller-supplied ``today``.
``counts_in`` lists the counts in an answer ("三个月", "6期": 3, 6), ``COUNT`` is their pattern.

The parsers return ``None`` (no count: ``[]``) when nothing usable is found, so a dialogue can
re-ask instead of guessing. The module is pure: no I/O, no clock, no global
mutable state, and no third-party dependency (a small Decimal-based numeral
converter avoids the float artefacts and gaps of general-purpose libraries).
Rounding goes through ``overdue.money.to_cents`` so every amount in the project
is rounded the same way.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from overdue.clock import add_months
from overdue.money import to_cents

__all__ = ["COUNT", "counts_in", "parse_amount", "parse_count", "parse_date"]

# Customers type traditional characters too; map the few that matter here.
_TRADITIONAL = str.maketrans(
    "週個號後禮這兩貳參萬億塊圓幾點歲時錢會剛", "周个号后礼这两贰叁万亿块圆几点岁时钱会刚"
)

_CN_DIGITS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_CN_UNITS = "十百千万亿拾佰仟"
_DIGIT_VALUE = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_DIGIT_VALUE.update({c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")})
_DIGIT_VALUE["两"] = 2
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_SMALL_UNITS.update(k=1000, K=1000)
_BIG_UNITS = {"万": 10**4, "w": 10**4, "W": 10**4, "亿": 10**8}


def _normalize(text: str) -> str:
    # NFKC folds full-width digits/commas (３，０００ -> 3,000) and ￥ -> ¥.
    return unicodedata.normalize("NFKC", text).translate(_TRADITIONAL)


def _to_number(span: str) -> Decimal | None:
    """Convert a numeral span ("三千五", "1万5", "一百零五", "2.5k", "一点五万")."""
    if "点" in span:  # Chinese decimal point: rewrite "一点五万" as "1.5万".
        head, _, rest = span.partition("点")
        frac = "".join(str(_DIGIT_VALUE[c]) for c in rest if c in _DIGIT_VALUE)
        units = "".join(c for c in rest if c not in _DIGIT_VALUE)
        whole = _to_number(head)
        return None if whole is None or not frac else _to_number(f"{whole}.{frac}{units}")
    tokens = re.findall(r"[0-9]+(?:\.[0-9]+)?|\S", span.replace(",", ""))
    if not tokens or tokens[0] in _BIG_UNITS or _SMALL_UNITS.get(tokens[0], 10) > 10:
        return None  # "万一", "千万别", "百分" are words, not numbers.
    total = section = Decimal(0)
    pending: Decimal | None = None
    last_unit = 0
    after_zero = False
    for tok in tokens:
        if tok[0].isdigit():
            if pending is not None:
                return None
            pending = Decimal(tok)
        elif tok in _DIGIT_VALUE:
            after_zero = after_zero or _DIGIT_VALUE[tok] == 0
            # Consecutive digits read positionally: "二零零零" = 2000.
            pending = (pending or Decimal(0)) * 10 + _DIGIT_VALUE[tok]
        elif tok in _SMALL_UNITS:
            section += (1 if pending is None else pending) * _SMALL_UNITS[tok]
            pending, last_unit, after_zero = None, _SMALL_UNITS[tok], False
        elif tok in _BIG_UNITS:
            value = section + (pending or 0)
            if value == 0:
                return None
            unit = _BIG_UNITS[tok]
            total = (total + value) * unit if unit > 10**4 else total + value * unit
            section, pending, last_unit, after_zero = Decimal(0), None, unit, False
        else:
            return None
    if pending is not None:
        # Spoken shorthand: a lone digit after a unit means the next lower unit
        # ("三千五" = 3500, "一万二" = 12000), unless a 零 intervened ("一百零五").
        single_digit = pending < 10 and pending == pending.to_integral_value()
        if single_digit and not after_zero and last_unit >= 100:
            pending *= last_unit // 10
        section += pending
    return total + section


# --------------------------------------------------------------------------- amounts

_ARABIC = r"[0-9]+(?:,[0-9]{3}(?![0-9]))*(?:\.[0-9]+)?"
# A following word that makes a number a date, time, count or ID rather than money.
_NOT_MONEY_AFTER = (
    r"(?:号|日|月|天|周|星期|礼拜|点|年|个|期|岁|次|位|小时|时|分(?!期)|秒|%|倍|角|毛|[A-Za-z])"
)
_TAIL_DIGIT = rf"[0-9{_CN_DIGITS}]"
_AMOUNT_RE = re.compile(
    # Arabic numbers may mix with units ("1万5", "2.5k") but not with Chinese digits,
    # so "周五3000块" splits into "五" and "3000块".
    rf"(?P<num>{_ARABIC}(?:[{_CN_UNITS}kKwW]+(?:{_ARABIC})?)*"
    rf"|[{_CN_DIGITS}{_CN_UNITS}]+(?:点[{_CN_DIGITS}]+[{_CN_UNITS}]+)?)"
    rf"(?:(?P<cur>块钱|元|块|圆|(?i:rmb|cny))"
    rf"(?:(?P<jiao>{_TAIL_DIGIT})[角毛](?:(?P<fen>{_TAIL_DIGIT})分?)?"
    rf"|(?P<fen_only>{_TAIL_DIGIT})分"
    rf"|(?P<bare>{_TAIL_DIGIT})(?![0-9{_CN_DIGITS}{_CN_UNITS}]|{_NOT_MONEY_AFTER}))?)?"
)
_NOT_MONEY_AFTER_RE = re.compile(_NOT_MONEY_AFTER)
_DATE_SEPARATOR_RE = re.compile(r"[-/.:][0-9]")
# Ten billion yuan and up is a phone, card or ID number, not a repayment.
_MAX_AMOUNT = Decimal(10) ** 10


def _digit(char: str | None) -> Decimal:
    if char is None:
        return Decimal(0)
    return Decimal(int(char) if char.isdigit() else _DIGIT_VALUE[char])


def _looks_like_money(text: str, m: re.Match[str]) -> bool:
    """Reject numbers that are really dates, weekdays, counts, times or IDs."""
    num, start, end = m["num"], m.start(), m.end()
    if m["cur"] or text[:start].endswith("¥"):
        return True  # an explicit currency marker settles it
    before = text[:start]
    if before.endswith("第") or (before.endswith(("周", "星期", "礼拜")) and len(num) == 1):
        return False  # 周五, 星期三, 第二
    if _NOT_MONEY_AFTER_RE.match(text, end) or _DATE_SEPARATOR_RE.match(text, end):
        return False  # 15号, 6期, 3点, 302X, 2026-12-05
    if start >= 2 and text[start - 1] in "-/.:" and text[start - 2].isdigit():
        return False  # the later parts of 2026/12/5 or 10:30
    # Without a unit or currency a bare Chinese digit is usually a word (一下, 一起).
    return any(c.isdigit() or c in _CN_UNITS or c in "kKwW" for c in num)


def parse_amount(text: str) -> Decimal | None:
    """Return the money amount in ``text`` rounded half-up to cents, or ``None``."""
    text = _normalize(text)
    candidates = [m for m in _AMOUNT_RE.finditer(text) if _looks_like_money(text, m)]
    # Prefer a number the customer explicitly marked as money ("15号还3000元").
    candidates.sort(key=lambda m: m["cur"] is None)
    for m in candidates:
        value = _to_number(m["num"])
        if value is None or value >= _MAX_AMOUNT:
            continue
        if m["cur"]:
            fen = m["fen"] or m["fen_only"]
            value += _digit(m["jiao"] or m["bare"]) / 10 + _digit(fen) / 100
        return to_cents(value)
    return None


# --------------------------------------------------------------------------- dates

_N = r"[0-9零〇一二两三四五六七八九十]+"
_WEEKDAY_INDEX = dict(zip("一二三四五六日", range(7), strict=True))
_WEEKDAY_INDEX.update(zip("1234567", range(7), strict=True), 天=6, 七=6)
# 下 = next, 下下 = the one after, 这/本 = this, 上 = last; no prefix is handled per rule.
_OFFSET = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}
_REL = r"(下下|下|这|本|上)个?"


def _to_int(span: str) -> int | None:
    value = _to_number(span)
    return int(value) if value is not None and value == value.to_integral_value() else None


def parse_count(span: str) -> int | None:
    """A whole number written either way: '3', '３', '三', '十二' -> int; else None."""
    return _to_int(_normalize(span).strip())


# A count as customers write one (a number of months, of instalments): Arabic digits, or
# Chinese digits up to 九十九 ("三", "两", "十二"). One pattern for every reader of counts.
COUNT = r"[0-9]+|[一二两三四五六七八九十]+"
_COUNT_RE = re.compile(COUNT)


def counts_in(text: str) -> list[int]:
    """Every count in ``text``, in order: '3个月' -> [3], '分六期还是12期' -> [6, 12]."""
    # NFKC only (full-width digits), as the forms have always read their answers.
    spans = _COUNT_RE.findall(unicodedata.normalize("NFKC", text))
    return [n for n in map(parse_count, spans) if n is not None]


def _clamped(year: int, month: int, day: int) -> date:
    # "31号" in a 30-day month means its last day; the same for 2月30号.
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _month_end(d: date, months: int = 0) -> date:
    return add_months(d, months, 31)


def _offset(prefix: str | None) -> int:
    return _OFFSET[prefix] if prefix else 0


def _full_date(m: re.Match[str], today: date) -> date | None:
    year, month, day = (int(g) for g in m.groups())
    valid = year >= 1 and 1 <= month <= 12 and 1 <= day <= 31
    return _clamped(year, month, day) if valid else None


def _month_day(m: re.Match[str], today: date) -> date | None:
    month, day = _to_int(m[2]), _to_int(m[3])
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if m[1]:  # 今年 / 明年 pin the year
        return _clamped(today.year + (m[1] == "明年"), month, day)
    this_year = _clamped(today.year, month, day)
    return this_year if this_year >= today else _clamped(today.year + 1, month, day)


def _relative_month_day(m: re.Match[str], today: date) -> date | None:
    day = _to_int(m[2])
    return add_months(today, _offset(m[1]), day) if day and 1 <= day <= 31 else None


def _month_end_rule(m: re.Match[str], today: date) -> date | None:
    if m[2]:  # "12月底": that month's end, this year unless already past
        month = _to_int(m[2])
        if month is None or not 1 <= month <= 12:
            return None
        this_year = _clamped(today.year, month, 31)
        return this_year if this_year >= today else _clamped(today.year + 1, month, 31)
    return _month_end(today, _offset(m[1]))


def _month_start(m: re.Match[str], today: date) -> date | None:
    if m[1] is None:  # bare 月初 is the coming 1st (today if it is the 1st)
        return today if today.day == 1 else add_months(today, 1, 1)
    return add_months(today, _offset(m[1]), 1)


def _year_end(m: re.Match[str], today: date) -> date | None:
    return date(today.year + (m[1] == "明"), 12, 31)


def _weekday(m: re.Match[str], today: date) -> date | None:
    target = _WEEKDAY_INDEX[m[2]]
    if m[1] is None:  # bare 周五: the next Friday on or after today
        return today + timedelta(days=(target - today.weekday()) % 7)
    # Calendar weeks start on Monday; 这周五 may be in the past, the caller decides.
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=_OFFSET[m[1]], days=target)


def _after(m: re.Match[str], today: date) -> date | None:
    n = _to_int(m[1])
    if n is None or n > 3660:  # beyond ten years it is not a repayment date
        return None
    if m[2] == "月":
        return add_months(today, n)
    return today + timedelta(days=n * (1 if m[2] in "天日" else 7))


def _coming_day(today: date, day: int) -> date:
    # A bare day of month is a promise: this month unless already past.
    this_month = _clamped(today.year, today.month, day)
    return this_month if this_month >= today else add_months(today, 1, day)


def _day_only(m: re.Match[str], today: date) -> date | None:
    day = _to_int(m[1])
    return _coming_day(today, day) if day is not None and 1 <= day <= 31 else None


def _mid_month(m: re.Match[str], today: date) -> date | None:
    return _coming_day(today, 15) if m[1] is None else add_months(today, _offset(m[1]), 15)


# Past days are returned too ("昨天扣的款"); whether they fit is the caller's call.
_NAMED_DAYS = {
    "大后天": 3,
    "后天": 2,
    "明天": 1,
    "明日": 1,
    "明早": 1,
    "明晚": 1,
    "今天": 0,
    "今日": 0,
    "今晚": 0,
    "马上": 0,
    "待会": 0,
    "刚才": 0,
    "刚刚": 0,
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "昨晚": -1,
}


def _named(m: re.Match[str], today: date) -> date | None:
    return today + timedelta(days=_NAMED_DAYS[m[0]])


def _next_month(m: re.Match[str], today: date) -> date | None:
    return add_months(today, _offset(m[1]))


# Most specific first: "下个月5号" must not be read as "下个月", nor "3天后" as "后天".
_DATE_RULES = [
    (re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})"), _full_date),
    (re.compile(rf"(今年|明年)?({_N})月({_N})[号日]?"), _month_day),
    (re.compile(r"(今年|明年)?(?<![0-9/])([0-9]{1,2})/([0-9]{1,2})(?![0-9/])"), _month_day),
    (re.compile(rf"{_REL}月({_N})[号日]"), _relative_month_day),
    (re.compile(rf"(?:{_REL}|({_N}))?月[底末]"), _month_end_rule),
    (re.compile(rf"(?:{_REL})?月初"), _month_start),
    (re.compile(rf"(?:{_REL})?月中"), _mid_month),
    (re.compile(r"(今|明)?年[底末]"), _year_end),
    # 下周一定还 is "surely next week", not next Monday (bank_nlu/entity_tidy.py trims the
    # span alike).
    (
        re.compile(r"(下下|下|这|本|上)?个?(?:周|星期|礼拜)(一(?!定)|[二三四五六七日天1-7])"),
        _weekday,
    ),
    (re.compile(rf"({_N})个?(天|日|周|星期|礼拜|月)(?:之|以)?后"), _after),
    (re.compile(rf"(?<![0-9零〇一二两三四五六七八九十月])({_N})[号日]"), _day_only),
    (re.compile("|".join(_NAMED_DAYS)), _named),
    (re.compile(r"(下下|下|上)个?月"), _next_month),
]


def parse_date(text: str, today: date) -> date | None:
    """Return the date ``text`` refers to relative to ``today``, or ``None`` if vague/absent."""
    text = _normalize(text)
    for pattern, resolve in _DATE_RULES:
        for m in pattern.finditer(text):
            result = resolve(m, today)
            if result is not None:
                return result
    return None
