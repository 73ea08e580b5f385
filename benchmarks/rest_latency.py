"""Benchmark of the running assistant (not a test): NLU parse and full REST turn latency,
throughput with concurrent conversations, start-up time and memory.

    bin/benchmark            # results in benchmarks/results/ as JSON and Markdown

Each turn of the REST benchmark is a verified customer asking what they owe, so the
action server reads the loan database on every turn.
"""
import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

import aiohttp
import requests

from actions.clock import today_in_china
from launcher import ROOT, latest_model, running_servers
from loandb.seed import add_random_customers, create_schema, reset_demo_customers
from loandb.session import session_scope

RESULTS = ROOT / "benchmarks" / "results"
NLU_TEXTS = [
    "我现在欠多少钱", "罚息怎么算的", "逾期会上征信吗", "我想申请延期还款", "能不能分期慢慢还",
    "我下周五一定还三千块", "我昨天已经还了怎么还显示逾期", "可以用微信还吗", "我失业三个月了",
    "转人工", "你好", "谢谢", "今天天气怎么样", "身份证后四位3021，手机尾号8866",
]
DEMO_IDENTITIES = ["3021 8866", "452X 5521", "7788 0019"]
QUESTIONS = ["我现在欠多少钱", "罚息是多少", "会影响征信吗", "怎么还款"]


def percentile(samples: List[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary_ms(samples: List[float]) -> Dict[str, float]:
    return {
        "samples_ms": [round(x * 1000, 1) for x in samples],
        "p50_ms": round(percentile(samples, 0.5) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "mean_ms": round(statistics.mean(samples) * 1000, 1),
        "count": len(samples),
    }


def memory_mb(pid: int) -> Dict[str, float]:
    """Resident and peak resident memory of a process, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


async def say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as resp:
        resp.raise_for_status()
        await resp.json()
    return time.perf_counter() - started


async def conversation(session, url: str, index: int, turns: int, latencies: List[float]) -> None:
    sender = f"bench-{index}-{time.time_ns()}"
    await say(session, url, sender, "我现在欠多少钱")
    await say(session, url, sender, DEMO_IDENTITIES[index % len(DEMO_IDENTITIES)])
    for turn in range(turns):
        latencies.append(await say(session, url, sender, QUESTIONS[turn % len(QUESTIONS)]))


async def concurrent_turns(url: str, conversations: int, turns: int) -> Dict[str, float]:
    latencies: List[float] = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(conversation(session, url, i, turns, latencies) for i in range(conversations)))
        elapsed = time.perf_counter() - started
    # Throughput counts every turn, the two identity turns included.
    total_turns = conversations * (turns + 2)
    return {"conversations": conversations, "turns_per_s": round(total_turns / elapsed, 1), **summary_ms(latencies)}


def nlu_latency(url: str, rounds: int) -> Dict[str, float]:
    samples = []
    with requests.Session() as session:
        for i in range(rounds):
            started = time.perf_counter()
            session.post(f"{url}/model/parse", json={"text": NLU_TEXTS[i % len(NLU_TEXTS)]}, timeout=30).raise_for_status()
            samples.append(time.perf_counter() - started)
    return summary_ms(samples)


def latency_plot(result: dict, path: Path) -> None:
    """Latency distributions of the measured rows, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {"NLU parse": result["nlu_parse"], "1 conversation": result["rest_turn_single"],
            **{f"{r['conversations']} conversations": r for r in result["rest_turn_concurrent"]}}
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.boxplot([r["samples_ms"] for r in rows.values()], labels=list(rows), showfliers=False)
    axis.set_ylabel("ms")
    axis.set_title(f"Latency ({result['cpu_count']} cores, commit {result['commit']})")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "uncommitted"


def to_markdown(result: dict) -> str:
    rows = [
        ("NLU parse", result["nlu_parse"]),
        ("REST turn, 1 conversation", result["rest_turn_single"]),
        *[(f"REST turn, {r['conversations']} conversations", r) for r in result["rest_turn_concurrent"]],
    ]
    lines = [
        f"# Benchmark {result['started_at']} (commit {result['commit']}, {result['cpu_count']} cores)",
        "",
        "| measurement | p50 ms | p95 ms | turns/s |",
        "|---|---|---|---|",
    ]
    for name, row in rows:
        lines.append(f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row.get('turns_per_s', '')} |")
    memory = result["memory"]
    lines += [
        "",
        f"Start-up of both servers: {result['startup_s']} s. Model size: {result['model_mb']} MB.",
        f"Rasa server memory: {memory['rasa']['rss_mb']} MB (peak {memory['rasa']['peak_rss_mb']} MB); "
        f"action server: {memory['actions']['rss_mb']} MB (peak {memory['actions']['peak_rss_mb']} MB).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10, help="questions per conversation after verifying")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--random-customers", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        loans_url = f"sqlite:///{work / 'loans.db'}"
        create_schema(loans_url)
        with session_scope(loans_url) as session:
            reset_demo_customers(session, today_in_china())
            add_random_customers(session, args.random_customers, today_in_china())
        with running_servers(work, loans_url) as servers:
            result = {
                "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "commit": commit(),
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "startup_s": round(servers.startup_seconds, 1),
                "nlu_parse": nlu_latency(servers.rasa_url, 200),
            }
            asyncio.run(concurrent_turns(servers.rasa_url, 2, 3))  # warm-up
            result["rest_turn_single"] = asyncio.run(concurrent_turns(servers.rasa_url, 1, 60))
            result["rest_turn_concurrent"] = [
                asyncio.run(concurrent_turns(servers.rasa_url, n, args.turns)) for n in args.concurrency
            ]
            result["memory"] = {"rasa": memory_mb(servers.rasa_pid), "actions": memory_mb(servers.actions_pid)}
            result["model_mb"] = round(latest_model().stat().st_size / 1024 / 1024, 1)

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["started_at"].replace(":", "")
    (RESULTS / f"rest-{stamp}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    latency_plot(result, RESULTS / f"rest-{stamp}.png")
    markdown = to_markdown(result) + f"\n![latency](rest-{stamp}.png)\n"
    (RESULTS / f"rest-{stamp}.md").write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
