"""Load test of the production set-up (not a test): simulated customers talk to the balancer
over REST for a fixed time, then every message is looked up in the tracker store.

    bin/load-test                              # 200 customers for 60 s on 2 Rasa instances
    bin/load-test --customers 50 --duration 20 --rasa-instances 3

Each customer runs the demo customers' journeys one after another (a new conversation
each time), with a pause to read between messages. Every message carries a message_id; on
a 5xx or a broken connection it is sent again with the same id, as a careful app would.
Results go to benchmarks/results/load-<time>.json and .md, and are printed.
"""

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from channels.rest import PREFIX as REST_PREFIX
from launcher import ROOT
from launcher.production import (
    Ports,
    ProductionSettings,
    database_url_in_schema,
    ensure_schema,
    production_servers,
)
from settings import current

RESULTS = ROOT / "benchmarks" / "results"
# The journeys: account questions after an identity check, a promise to pay, and messages
# needing no account at all. "{identity}" is the customer's digits and "{code}" the one-time
# code the SMS brought (read from the set-up's outbox). Each simulated customer is a bank
# customer of their own (seeded at random, with a phone no one else has), so that the codes
# of two conversations never cross.
FLOWS: dict[str, list[str]] = {
    "debt": ["我现在欠多少钱", "{identity}", "{code}", "罚息是多少", "会影响征信吗", "怎么还款"],
    "penalty": ["罚息怎么算的", "{identity}", "{code}", "逾期几天了"],
    "credit_report": ["逾期会上征信吗", "{identity}", "{code}", "征信多久能恢复", "谢谢"],
    "repayment": ["怎么还款", "可以用微信还吗", "谢谢"],
    "promise_to_pay": ["我月底先还两千", "{identity}", "{code}", "/affirm"],
    "small_talk": ["你好", "今天天气怎么样", "转人工"],
}
CODE_WAIT_S = 10  # a code not in the outbox by then: the customer gives up


@dataclass(frozen=True)
class Identity:
    digits: str  # what the customer types
    phone: str  # where the code goes


def load_identities(database_url: str) -> list[Identity]:
    """The seeded customers whose digits name only them and whose phone is theirs alone."""
    from sqlalchemy import select

    from loandb.models import Customer
    from loandb.session import session_scope

    with session_scope(database_url) as session:
        rows = session.execute(
            select(Customer.id_last4, Customer.phone_last4, Customer.phone).where(
                Customer.is_demo.is_(False)
            )
        ).all()
    pairs = Counter((id_last4, phone_last4) for id_last4, phone_last4, _ in rows)
    phones = Counter(phone for _, _, phone in rows)
    return [
        Identity(f"身份证后四位{id_last4}，手机尾号{phone_last4}", phone)
        for id_last4, phone_last4, phone in rows
        if pairs[(id_last4, phone_last4)] == 1 and phones[phone] == 1
    ]


async def code_for(outbox: Path, phone: str, after: int) -> str | None:
    """The newest code sent to ``phone`` in lines after line ``after`` of the outbox."""
    deadline = time.monotonic() + CODE_WAIT_S
    while time.monotonic() < deadline:
        if outbox.exists():
            lines = outbox.read_text(encoding="utf-8").splitlines()[after:]
            for line in reversed(lines):
                entry = json.loads(line)
                found = re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", entry["text"])
                if entry["phone"] == phone and found:
                    return found.group(0)
        await asyncio.sleep(0.2)
    return None


def outbox_lines(outbox: Path) -> int:
    return len(outbox.read_text(encoding="utf-8").splitlines()) if outbox.exists() else 0


RETRY_STATUSES = {502, 503, 504}
MESSAGE_DEADLINE_S = 60  # a message still not answered after this counts as an error


@dataclass
class Sent:
    """One customer message and what became of it."""

    sender: str
    message_id: str
    text: str
    flow: str
    answered: bool = False
    latency_s: float = 0.0  # from the first attempt to the answer, retries included
    attempts: int = 0
    apologised: bool = False
    answered_at: float = 0.0  # time.monotonic()


@dataclass
class LoadRun:
    customers: int
    duration_s: float
    elapsed_s: float = 0.0
    messages: list[Sent] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # why attempts failed


async def send(
    session: aiohttp.ClientSession, url: str, message: Sent, run: LoadRun, apologies: list[str]
) -> None:
    started = time.perf_counter()
    delay = 0.5
    while time.perf_counter() - started < MESSAGE_DEADLINE_S:
        message.attempts += 1
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook",
                json={
                    "sender": message.sender,
                    "message": message.text,
                    "message_id": message.message_id,
                },
            ) as resp:
                if resp.status == 200:
                    body = await resp.json(content_type=None)
                    message.answered, message.latency_s = True, time.perf_counter() - started
                    message.answered_at = time.monotonic()
                    message.apologised = any(reply.get("text") in apologies for reply in body)
                    return
                run.failures[f"HTTP {resp.status}"] += 1
                if resp.status not in RETRY_STATUSES:
                    return
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            run.failures[error.__class__.__name__] += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, 4)


async def customer(
    index: int,
    url: str,
    run: LoadRun,
    deadline: float,
    think_s: float,
    prefix: str,
    apologies: list[str],
    session: aiohttp.ClientSession,
    identity: Identity,
    outbox: Path,
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(
        rng.uniform(0, min(5.0, think_s * 3))
    )  # customers do not all arrive at once
    conversation = 0
    while time.monotonic() < deadline:
        flow = rng.choice(list(FLOWS))
        sender = f"{prefix}-{index}-{conversation}"
        conversation += 1
        mark = 0
        for text in FLOWS[flow]:
            if time.monotonic() >= deadline:
                return
            if text == "{identity}":
                mark = outbox_lines(outbox)
            elif text == "{code}":
                text = await code_for(outbox, identity.phone, mark) or ""
                if not text:
                    run.failures["no one-time code"] += 1
                    break
            message = Sent(sender, uuid.uuid4().hex, text.format(identity=identity.digits), flow)
            run.messages.append(message)
            await send(session, url, message, run, apologies)
            if not message.answered:
                break  # this customer gives up on the conversation
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)


async def run_customers(
    url: str,
    customers: int,
    duration_s: float,
    identities: list[Identity],
    outbox: Path,
    think_s: float = 1.0,
    prefix: str | None = None,
) -> LoadRun:
    """``customers`` simulated customers for ``duration_s``; messages in flight are finished."""
    from channels.faults import NOT_ANSWERED, NOT_TAKEN, response_text

    run = LoadRun(customers, duration_s)
    prefix = prefix or f"load-{uuid.uuid4().hex[:8]}"
    apologies = [response_text(NOT_TAKEN), response_text(NOT_ANSWERED)]
    connector = aiohttp.TCPConnector(limit=customers + 10)
    timeout = aiohttp.ClientTimeout(total=MESSAGE_DEADLINE_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        deadline = started + duration_s
        await asyncio.gather(
            *(
                customer(
                    i,
                    url,
                    run,
                    deadline,
                    think_s,
                    prefix,
                    apologies,
                    session,
                    identities[i % len(identities)],
                    outbox,
                )
                for i in range(customers)
            )
        )
        run.elapsed_s = time.monotonic() - started
    return run


def stored_user_messages(tracker_db_url: str, senders: list[str]) -> dict[str, list[str]]:
    """Each REST sender's customer messages in the tracker store, as message ids in order (the
    REST channel keeps a sender's conversation as ``rest:<sender>``, channels/rest.py)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(tracker_db_url)
    stored: dict[str, list[str]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT sender_id, data FROM events"
                " WHERE type_name = 'user' AND sender_id = ANY(:senders) ORDER BY id"
            ),
            {"senders": [REST_PREFIX + sender for sender in senders]},
        )
        for conversation_id, data in rows:
            stored.setdefault(conversation_id[len(REST_PREFIX) :], []).append(
                json.loads(data).get("message_id")
            )
    engine.dispose()
    return stored


def check_against_tracker(run: LoadRun, tracker_db_url: str) -> dict[str, int]:
    """Lost: answered but not stored. Duplicated: stored twice. Out of order: not as sent."""
    senders = sorted({message.sender for message in run.messages})
    stored = stored_user_messages(tracker_db_url, senders)
    lost = duplicated = out_of_order = 0
    for sender in senders:
        ids = stored.get(sender, [])
        counts = Counter(ids)
        duplicated += sum(count - 1 for count in counts.values() if count > 1)
        answered = [m.message_id for m in run.messages if m.sender == sender and m.answered]
        lost += sum(1 for message_id in answered if message_id not in counts)
        if [message_id for message_id in dict.fromkeys(ids) if message_id in answered] != answered:
            out_of_order += 1
    return {"lost": lost, "duplicated": duplicated, "conversations_out_of_order": out_of_order}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def summary(run: LoadRun, check: dict[str, int]) -> dict:
    answered = [m for m in run.messages if m.answered]
    latencies = [m.latency_s for m in answered]
    return {
        "customers": run.customers,
        "duration_s": run.duration_s,
        "elapsed_s": round(run.elapsed_s, 1),
        "messages_sent": len(run.messages),
        "messages_answered": len(answered),
        "throughput_msgs_per_s": round(len(answered) / run.elapsed_s, 1) if run.elapsed_s else 0.0,
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000),
        "latency_p95_ms": round(percentile(latencies, 0.95) * 1000),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000),
        "latency_mean_ms": round(statistics.mean(latencies) * 1000) if latencies else 0,
        "errors": len(run.messages) - len(answered),
        "retried_messages": sum(1 for m in run.messages if m.attempts > 1),
        "failed_attempts": dict(run.failures),
        "apologies": sum(1 for m in answered if m.apologised),
        "conversations": len({m.sender for m in run.messages}),
        "messages_per_flow": dict(Counter(m.flow for m in run.messages)),
        **check,
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and of its children (nginx's workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has just exited
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def tier_cpu(setup) -> dict[str, float]:
    """CPU seconds used so far by each tier, for sizing: how many instances a load needs."""
    tiers = {"rasa": setup.rasa_instances, "actions": setup.action_servers, "nginx": [setup.nginx]}
    return {
        tier: sum(cpu_seconds(service.process.pid) for service in services)
        for tier, services in tiers.items()
    }


def to_markdown(result: dict) -> str:
    lines = [
        f"# Load test {result['started_at']} (commit {result['commit']},"
        f" {result['cpu_count']} cores)",
        "",
        f"{result['customers']} simulated customers for {result['duration_s']} s on"
        f" {result['rasa_instances']} Rasa instances and {result['action_servers']} action servers"
        f" behind nginx; PostgreSQL, Redis lock store; {result['think_s']} s mean pause between a"
        " customer's messages.",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for key in (
        "messages_answered",
        "throughput_msgs_per_s",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "errors",
        "lost",
        "duplicated",
        "conversations_out_of_order",
        "apologies",
        "retried_messages",
        "conversations",
        "cpu_seconds_per_message",
    ):
        lines.append(f"| {key} | {result.get(key)} |")
    lines += [
        "",
        f"Failed attempts (retried): {result['failed_attempts'] or 'none'}.",
        f"CPU seconds during the run, by tier: {result['cpu_seconds']}.",
        f"Load average before / after: {result['load_average'][0]} / {result['load_average'][1]} "
        "(other work on the machine shares its cores).",
    ]
    return "\n".join(lines) + "\n"


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "uncommitted"


def seeded_schema(base_url: str, random_customers: int = 0) -> str:
    from loandb.migrate import upgrade
    from loandb.seed import add_random_customers, reset_demo_customers
    from loandb.session import session_scope
    from overdue.clock import today_in_china

    schema = f"load_{uuid.uuid4().hex[:10]}"
    ensure_schema(base_url, schema)
    url = database_url_in_schema(base_url, schema)
    upgrade(url)
    with session_scope(url) as session:
        reset_demo_customers(session, today_in_china())
        add_random_customers(session, random_customers, today_in_china())
    return schema


def drop_schema(base_url: str, schema: str) -> None:
    import psycopg2

    connection = psycopg2.connect(base_url)
    connection.autocommit = True
    connection.cursor().execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a customer reads before answering"
    )
    parser.add_argument("--rasa-instances", type=int, default=2)
    parser.add_argument(
        "--database",
        default=current().load_test_db_url,
        help="PostgreSQL to use; the run gets a schema of its own, dropped afterwards",
    )
    parser.add_argument("--redis", default=current().load_test_redis_url)
    args = parser.parse_args()

    schema = seeded_schema(args.database, random_customers=args.customers + 50)
    database_url = database_url_in_schema(args.database, schema)
    identities = load_identities(database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="load-") as work:
            outbox = Path(work) / "sms-outbox.jsonl"
            # Codes into the outbox (this is a test), and as often as the journeys need them:
            # the load test measures throughput, not the resend limits.
            policy = Path(work) / "policy.yml"
            policy.write_text(
                (ROOT / "policy.yml")
                .read_text(encoding="utf-8")
                .replace("resend_after_seconds: 60", "resend_after_seconds: 0")
                .replace("codes_per_hour: 5 ", "codes_per_hour: 10000 "),
                encoding="utf-8",
            )
            settings = ProductionSettings(
                database_url=database_url,
                redis_url=args.redis,
                redis_prefix=f"load{uuid.uuid4().hex[:8]}",
                ports=Ports.free(args.rasa_instances),
                work_dir=Path(work),
                console=False,
                extra_env={
                    "SMS_OUTBOX_TEST_ONLY": "1",
                    "SMS_OUTBOX_PATH": str(outbox),
                    "LOAN_POLICY_PATH": str(policy),
                },
            )
            with production_servers(settings) as setup:
                print(
                    f"==> {args.customers} customers for {args.duration:.0f} s on {setup.rasa_url}",
                    flush=True,
                )
                # Warm-up, not counted (customers of their own, so its codes cross no one's).
                asyncio.run(
                    run_customers(setup.rasa_url, 6, 5, identities[-6:], outbox, think_s=0.2)
                )
                before = tier_cpu(setup)
                started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
                load_before = os.getloadavg()[0]
                run = asyncio.run(
                    run_customers(
                        setup.rasa_url,
                        args.customers,
                        args.duration,
                        identities[: args.customers],
                        outbox,
                        args.think,
                    )
                )
                cpu = {
                    tier: round(seconds - before[tier], 1)
                    for tier, seconds in tier_cpu(setup).items()
                }
            result = {
                "started_at": started_at,
                "commit": commit(),
                "cpu_count": os.cpu_count(),
                "rasa_instances": args.rasa_instances,
                "action_servers": len(settings.ports.action_servers),
                "think_s": args.think,
                **summary(run, check_against_tracker(run, database_url)),
                "cpu_seconds": cpu,
                "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            }
            result["cpu_seconds_per_message"] = {
                tier: round(seconds / max(1, result["messages_answered"]), 4)
                for tier, seconds in cpu.items()
            }
            result["messages"] = [
                asdict(m) for m in run.messages if not m.answered or m.attempts > 1
            ]
    finally:
        drop_schema(args.database, schema)

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["started_at"].replace(":", "")
    (RESULTS / f"load-{stamp}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    markdown = to_markdown(result)
    (RESULTS / f"load-{stamp}.md").write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
