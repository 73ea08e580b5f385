"""How fast the console's history answers at 100,000 tickets, on SQLite and PostgreSQL:
a phrase search (three characters or more: the trigram index), a two-character word (no
trigram: a scan, stopped early when matches are many), a search with filters, and the
first page with its count (up to console/history.py's COUNT_UP_TO), as
/agent/history runs them (loandb/ticket_history.py). Not part of the tests.

    .venv/bin/python -m benchmarks.history_search            # 100,000 tickets, both databases
    .venv/bin/python -m benchmarks.history_search --tickets 5000 --databases sqlite

Each database is a throwaway (a temporary SQLite file; a new PostgreSQL schema at
TEST_POSTGRES_URL, dropped afterwards), migrated, filled with generated tickets whose
transcripts are Chinese customers' and agents' sentences. Results go to
benchmarks/results/history-<time>.json and are printed.
"""

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import create_engine, insert, text

from benchmarks.measure import ROOT, cpu_count, summary_ms
from console.history import COUNT_UP_TO
from loandb.migrate import upgrade
from loandb.models import HandoffTicket, TicketTranscript
from loandb.session import session_scope
from loandb.ticket_history import HistoryFilter, count, rows
from overdue.clock import CHINA
from settings import current

POSTGRES_URL = current().test_postgres_url
CUSTOMER_WORDS = [
    "我现在欠多少钱",
    "罚息怎么这么高",
    "我要投诉你们的催收",
    "能不能延期还款",
    "这个月工资还没发",
    "我想办理分期",
    "信用卡逾期会不会上征信",
    "我已经还过了怎么还显示逾期",
    "这笔钱不是我借的",
    "家里有人生病住院了",
    "下周五之前一定还上",
    "最低还款是多少",
    "能减免一点罚息吗",
    "转人工",
    "你们打电话太频繁了",
    "我失业了暂时还不上",
    "手机银行怎么还款",
    "利息是怎么算的",
]
AGENT_WORDS = [
    "您好，我是客服，很高兴为您服务",
    "您的情况我已经了解",
    "可以为您申请延期还款",
    "罚息可以申请减免审核",
    "请您留意后续短信通知",
    "还款后一般24小时内入账",
    "感谢您的耐心等待",
]
REASONS = ["complaint", "dispute", "customer_request", "negative_emotion", "not_understood"]
CHANNELS = ["wechat", "socketio", "rest"]
RARE = "上个月的罚息算得不对"  # said in a few tickets only, as an agent would look for one


def fill(url: str, tickets: int, seed: int = 7) -> None:
    chooser = random.Random(seed)
    engine = create_engine(url, future=True)
    start = datetime(2026, 1, 1, tzinfo=CHINA)
    batch = 2000
    with engine.begin() as connection:
        for first in range(1, tickets + 1, batch):
            ids = range(first, min(first + batch, tickets + 1))
            ticket_rows, transcript_rows = [], []
            for number in ids:
                created = start + timedelta(minutes=5 * number)
                said = chooser.sample(CUSTOMER_WORDS, chooser.randint(3, 7)) + chooser.sample(
                    AGENT_WORDS, 2
                )
                if number % 5000 == 0:
                    said.append(RARE)
                ticket_rows.append(
                    {
                        "id": number,
                        "conversation_id": f"bench-{number}",
                        "channel": chooser.choice(CHANNELS),
                        "reason": chooser.choice(REASONS),
                        "priority": chooser.randint(1, 3),
                        "status": "resolved",
                        "summary": "{}",
                        "created_at": created,
                        "resolved_at": created + timedelta(minutes=20),
                    }
                )
                messages = [
                    {
                        "at": created.isoformat(),
                        "sender": "customer",
                        "agent": "",
                        "text": words,
                        "intent": "",
                        "confidence": None,
                        "emotion": None,
                    }
                    for words in said
                ]
                transcript_rows.append(
                    {
                        "ticket_id": number,
                        "messages": json.dumps(messages, ensure_ascii=False),
                        "search_text": "\n".join(said),
                        "message_count": len(said),
                        "stored_at": created + timedelta(minutes=20),
                    }
                )
            connection.execute(insert(HandoffTicket.__table__), ticket_rows)
            connection.execute(insert(TicketTranscript.__table__), transcript_rows)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE handoff_tickets; ANALYZE ticket_transcripts"))
    engine.dispose()


def timed(work: Callable[[], object], repeat: int) -> dict[str, object]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        samples.append(time.perf_counter() - began)
    found = summary_ms(samples)
    found.pop("samples_ms")
    return found


def measure(url: str, repeat: int) -> dict[str, dict[str, object]]:
    searches = {
        "phrase, 3+ characters (trigram index)": HistoryFilter(phrase="罚息怎么这么高"),
        "rare phrase (trigram index)": HistoryFilter(phrase=RARE),
        "2-character word, common (scan)": HistoryFilter(phrase="罚息"),
        "2-character word, rare (scan)": HistoryFilter(phrase="算得"),
        "phrase + reason + channel + dates": HistoryFilter(
            phrase="延期还款",
            reason="complaint",
            channel="wechat",
            since=datetime(2026, 3, 1).date(),
            until=datetime(2026, 6, 30).date(),
        ),
        "no filter (newest page)": HistoryFilter(),
    }
    results = {}
    for name, wanted in searches.items():

        def page(wanted: HistoryFilter = wanted) -> None:  # this search's own filter
            with session_scope(url) as session:
                count(session, wanted, up_to=COUNT_UP_TO + 1)  # as the page counts
                rows(session, wanted, 0, 50)

        with session_scope(url) as session:
            matches = count(session, wanted)
        results[name] = {"matches": matches, "page_and_count": timed(page, repeat)}
    return results


def run(database: str, tickets: int, repeat: int) -> dict[str, object]:
    if database == "sqlite":
        folder = tempfile.mkdtemp(prefix="history-bench-")
        url, cleanup = f"sqlite:///{folder}/loans.db", lambda: None
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()

    try:
        upgrade(url)
        began = time.perf_counter()
        fill(url, tickets)
        filled = round(time.perf_counter() - began, 1)
        return {"tickets": tickets, "fill_seconds": filled, "searches": measure(url, repeat)}
    finally:
        cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    args = parser.parse_args(argv)
    report = {
        "at": datetime.now(CHINA).isoformat(timespec="seconds"),
        "cores": cpu_count(),
        "load_average": os.getloadavg(),
        "databases": {},
    }
    for database in args.databases:
        report["databases"][database] = found = run(database, args.tickets, args.repeat)
        print(f"== {database}: {found['tickets']} tickets (filled in {found['fill_seconds']} s)")
        for name, result in found["searches"].items():
            timing = result["page_and_count"]
            print(
                f"   {name:42} {result['matches']:>7} matches"
                f"   p50 {timing['p50_ms']:>8} ms   p95 {timing['p95_ms']:>8} ms"
            )
    out = (
        ROOT
        / "benchmarks"
        / "results"
        / f"history-{datetime.now(CHINA).strftime('%Y%m%d-%H%M%S')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"==> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
