"""The history of every ticket at /agent/history, and the same list as CSV.

    /agent/history?q=罚息&reason=complaint&since=2026-11-01&until=2026-11-30&page=2
    /agent/history.csv?...the same filters...

Newest first, 50 a page. The CSV is UTF-8 with a byte-order mark, so Excel opens the Chinese
correctly; each export is in the audit log. The routes are in console/routes/history.py.
"""

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

from console.reviews import REVIEW_WORDS
from console.tickets import CHANNEL_WORDS, REASON_WORDS, STATUS_WORDS, audit
from loandb.session import session_scope
from loandb.ticket_history import NOT_REVIEWED, HistoryFilter, agent_choices, all_rows, count, rows
from overdue.clock import as_china, now_in_china

PER_PAGE = 50
# Beyond this the page says "more than 2000": counting every match of a common word is slow.
COUNT_UP_TO = 2000
FILTER_KEYS = (
    "since",
    "until",
    "reason",
    "channel",
    "status",
    "priority",
    "agent",
    "customer",
    "review",
    "q",
)
CSV_COLUMNS = (
    "工单号",
    "转人工时间",
    "结束时间",
    "原因",
    "渠道",
    "状态",
    "优先级",
    "客户",
    "身份证尾号",
    "手机尾号",
    "处理坐席",
    "评审结果",
    "评分",
    "评审意见",
    "对话摘录",
)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _words(value: str, limit: int) -> str:
    """Typed words only: control characters (a NUL breaks PostgreSQL) dropped."""
    return "".join(ch for ch in value[: limit * 2] if ch.isprintable())[:limit]


def parse_filter(params: dict[str, str]) -> HistoryFilter:
    """The query string's filters; what is malformed or unknown is left out, never an error."""

    def known(key: str, words: dict[str, str]) -> str:
        value = (params.get(key) or "").strip()
        return value if value in words else ""

    return HistoryFilter(
        since=_day(params.get("since") or ""),
        until=_day(params.get("until") or ""),
        reason=known("reason", REASON_WORDS),
        channel=known("channel", CHANNEL_WORDS),
        status=known("status", STATUS_WORDS),
        priority=_number(params.get("priority") or ""),
        agent_id=_number(params.get("agent") or ""),
        customer=_words(params.get("customer") or "", 50),
        review=known("review", {**REVIEW_WORDS, NOT_REVIEWED: ""}),
        phrase=_words(params.get("q") or "", 100),
    )


def _when(moment) -> str:
    return as_china(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A ticket as the page and the CSV say it: in words, numbers as tails only."""
    return {
        **row,
        "created": _when(row["created_at"]),
        "resolved": _when(row["resolved_at"]),
        "reason_words": REASON_WORDS.get(row["reason"], row["reason"]),
        "channel_words": CHANNEL_WORDS.get(row["channel"], row["channel"]),
        "status_words": STATUS_WORDS.get(row["status"], row["status"]),
        "customer_words": row["customer"] or "未核实身份",
        "review_words": REVIEW_WORDS.get(row["review_outcome"], ""),
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A customer's words starting like a formula (=HYPERLINK(...)) stay text in Excel."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(found: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so Excel reads UTF-8
    writer.writerow(CSV_COLUMNS)
    for number, row in enumerate(found):
        row = shown(row)
        writer.writerow(
            [
                cell(value)
                for value in [
                    row["id"],
                    row["created"],
                    row["resolved"],
                    row["reason_words"],
                    row["channel_words"],
                    row["status_words"],
                    row["priority"],
                    row["customer_words"],
                    row["id_last4"],
                    row["phone_last4"],
                    row["agent"],
                    row["review_words"],
                    row["review_score"] or "",
                    row["review_comment"],
                    row["snippet"],
                ]
            ]
        )
        if number % 200 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def page_context(params: dict[str, str]) -> dict[str, Any]:
    """What the history page shows for a query string: one page of matches, counted up to
    ``COUNT_UP_TO``, the filters kept for the next page's link, and the filters' choices."""
    wanted = parse_filter(params)
    page = max(_number(params.get("page") or "") or 1, 1)
    with session_scope() as session:
        total = count(session, wanted, up_to=COUNT_UP_TO + 1)
        found = [shown(row) for row in rows(session, wanted, (page - 1) * PER_PAGE, PER_PAGE)]
        agents = agent_choices(session)
    kept = {key: params[key] for key in FILTER_KEYS if params.get(key)}
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return {
        "tickets": found,
        "total": min(total, COUNT_UP_TO),
        "page": page,
        "pages": pages,
        "more": total > COUNT_UP_TO,
        "has_next": len(found) == PER_PAGE and (page < pages or total > COUNT_UP_TO),
        "params": kept,
        "query": urlencode(kept),
        "agents": agents,
        "reasons": REASON_WORDS,
        "channels": CHANNEL_WORDS,
        "statuses": STATUS_WORDS,
        "reviews": REVIEW_WORDS,
        "not_reviewed": NOT_REVIEWED,
    }


def exported_rows(params: dict[str, str], agent_id: int) -> list[dict[str, Any]]:
    """Every match for the CSV, the export audited."""
    wanted = parse_filter(params)
    with session_scope() as session:
        audit(session, agent_id, "export_history_csv")
        return list(all_rows(session, wanted))


def csv_name() -> str:
    return f"tickets-{now_in_china().strftime('%Y%m%d-%H%M')}.csv"
