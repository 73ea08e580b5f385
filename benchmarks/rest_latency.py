"""Benchmark of the running assistant (not a test): NLU parse and full REST turn latency,
throughput with 1, 20 and 100 conversations at once, start-up time, peak memory of both
servers, training time and model size, where the time of a turn goes, turn cost against
conversation length, and the stock Rasa anchor measured alongside.

    bin/benchmark                    # everything, about 25 minutes on 2 cores
    bin/benchmark --skip-training    # without timing a training (model size of the latest model)
    bin/benchmark --modes after      # only the current code, not the "before" as well
    bin/benchmark --long-turns 0     # without the long conversation (long_conversation.py)
    bin/benchmark --no-stock         # without the stock Rasa anchor (stock_anchor.py)

Results go to benchmarks/results/<time>/ (results.json, report.md, latency.png,
stages.png, length.png, profile-*.txt), stamped with the core count, the commit and the
load average.

The long conversation (--long-turns, 300 by default) is one verified customer asking account
questions turn after turn, on the current code's server pair (the tracker read in a window of
TRACKER_WINDOW_EVENTS events) and on one more pair reading the whole session
(TRACKER_WINDOW_EVENTS=0, Rasa's own behaviour), taking turns. The stock anchor is the
`rasa init` starter project (made and trained once under var/stock-bot/), under the same load
as ours in the same run; our turns/s are also given as a multiple of its.

Each turn of the REST benchmark is a verified customer asking what they owe, the penalty,
the credit impact or how to repay, so the action server reads the loan database every turn.
The measurements run twice, "before" with Rasa's own check of action answers and its own
loading of DIET (RASA_ACTION_SCHEMA_CACHE=0 RASA_FAST_MODEL_LOAD=0, see dialogue/action_calls.py
and bank_nlu/model_loading.py) and "after" with ours.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import requests

from bank_nlu.model_loading import SWITCH as MODEL_LOAD_SWITCH
from benchmarks.long_conversation import length_plot, long_conversations
from benchmarks.long_conversation import to_markdown as long_markdown
from benchmarks.measure import cpu_seconds, machine_stamp, memory_mb, summary_ms
from benchmarks.reports import target_checks, targets_markdown, throughput_vs_stock
from benchmarks.rest_client import say, timed_conversations, verify
from benchmarks.stock_anchor import prepare_stock_bot, running_stock, stock_turns
from benchmarks.stock_anchor import to_markdown as stock_markdown
from benchmarks.turn_profile import (
    OTHER,
    QUESTIONS,
    TOP_LEVEL,
    load_agent,
    profile_turns,
    relaxed_policy,
)
from dialogue.action_calls import SWITCH
from launcher import ROOT, latest_model, running_servers
from loandb.migrate import upgrade
from loandb.seed import add_random_customers, reset_demo_customers
from loandb.session import session_scope
from overdue.clock import today_in_china
from settings import current

RESULTS = ROOT / "benchmarks" / "results"
NLU_TEXTS = [
    "我现在欠多少钱",
    "罚息怎么算的",
    "逾期会上征信吗",
    "我想申请延期还款",
    "能不能分期慢慢还",
    "我下周五一定还三千块",
    "我昨天已经还了怎么还显示逾期",
    "可以用微信还吗",
    "我失业三个月了",
    "转人工",
    "你好",
    "谢谢",
    "今天天气怎么样",
    "身份证后四位3021，手机尾号8866",
]
# "before": Rasa's own check of action answers and its own loading of DIET; "after": ours.
MODES = {
    "before": {SWITCH: "0", MODEL_LOAD_SWITCH: "0"},
    "after": {SWITCH: "1", MODEL_LOAD_SWITCH: "1"},
}


async def concurrent_turns(
    url: str, conversations: int, turns: int, outbox: Path
) -> dict[str, object]:
    """Verified customers asking account questions, that many at once, each ``turns``
    questions after the three turns of verifying (those count too)."""
    verifying: dict[str, asyncio.Lock] = {}

    async def conversation(session, index: int, latencies: list[float]) -> None:
        sender = f"bench-{index}-{time.time_ns()}"
        await verify(session, url, sender, index, latencies, outbox, verifying)
        for turn in range(turns):
            latencies.append(await say(session, url, sender, QUESTIONS[turn % len(QUESTIONS)]))

    return await timed_conversations(conversations, conversation)


def nlu_latency(url: str, rounds: int) -> dict[str, object]:
    samples = []
    with requests.Session() as session:
        for i in range(rounds):
            started = time.perf_counter()
            session.post(
                f"{url}/model/parse", json={"text": NLU_TEXTS[i % len(NLU_TEXTS)]}, timeout=30
            ).raise_for_status()
            samples.append(time.perf_counter() - started)
    return summary_ms(samples)


def timed_training(work: Path) -> dict[str, object]:
    """A full `rasa train` of this project into a scratch directory."""
    rasa = str(Path(sys.executable).parent / "rasa")
    started = time.perf_counter()
    subprocess.run(
        [
            rasa,
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            str(work),
            "--fixed-model-name",
            "benchmark",
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return {
        "training_s": round(time.perf_counter() - started, 1),
        "model": work / "benchmark.tar.gz",
    }


def server_pids(running) -> dict[str, int]:
    return {"rasa": running.rasa_pid, "actions": running.actions_pid}


def start_pair(stack: ExitStack, work: Path, loans_url: str, model: Path, env: dict) -> object:
    work.mkdir()
    return stack.enter_context(
        running_servers(
            work,
            loans_url,
            model,
            extra_env={**env, "LOAN_POLICY_PATH": str(relaxed_policy(work.parent))},
        )
    )


def window_label(events: int) -> str:
    return f"window of {events} events" if events else "whole session"


def measure_modes(
    work: Path, loans_url: str, model: Path, args, stock_model: Path | None
) -> dict[str, object]:
    """Every latency and memory figure for each mode, of the stock anchor and of the long
    conversation. All servers run at once and the measurements alternate between them, so a
    change in the machine's load hits each."""
    modes: dict[str, dict[str, object]] = {}
    measured: dict[str, object] = {"modes": modes}
    with ExitStack() as stack:
        servers = {}
        for mode in args.modes:
            servers[mode] = start_pair(stack, work / mode, loans_url, model, MODES[mode])
            print(f"[{mode}] servers up in {servers[mode].startup_seconds:.1f} s", flush=True)
            modes[mode] = {"startup_s": round(servers[mode].startup_seconds, 1), "rest_turns": []}
        # The long conversation runs on the current code's pair, and for the "before" on a pair
        # that reads the whole session (Rasa's own behaviour).
        long_mode = "after" if "after" in servers else args.modes[-1]
        window = current().tracker_window_events
        whole = None
        if args.long_turns and window:
            env = {**MODES[long_mode], "TRACKER_WINDOW_EVENTS": "0"}
            whole = start_pair(stack, work / "whole-session", loans_url, model, env)
            print(f"[whole session] servers up in {whole.startup_seconds:.1f} s", flush=True)
        stock = None
        if stock_model is not None:
            stock = stack.enter_context(running_stock(stock_model, work))
            print(f"[stock] server up in {stock.startup_seconds:.1f} s", flush=True)
            measured["stock"] = {"startup_s": round(stock.startup_seconds, 1), "rest_turns": []}
        for mode, running in servers.items():
            modes[mode]["nlu_parse"] = nlu_latency(running.rasa_url, args.nlu_rounds)
            asyncio.run(concurrent_turns(running.rasa_url, 2, 3, running.sms_outbox))  # warm-up
        if stock is not None:
            asyncio.run(stock_turns(stock.url, 2, 6))  # warm-up
        for conversations in args.concurrency:
            turns = args.single_turns if conversations == 1 else args.turns
            for mode, running in servers.items():
                cpu_before = {name: cpu_seconds(pid) for name, pid in server_pids(running).items()}
                row = asyncio.run(
                    concurrent_turns(running.rasa_url, conversations, turns, running.sms_outbox)
                )
                # Which server the turns kept busy: CPU milliseconds per turn of each.
                row["cpu_ms_per_turn"] = {
                    name: round((cpu_seconds(pid) - cpu_before[name]) / row["count"] * 1000, 1)
                    for name, pid in server_pids(running).items()
                }
                print(
                    f"[{mode}] {conversations} conversations: {row['turns_per_s']} turns/s, "
                    f"p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms",
                    flush=True,
                )
                modes[mode]["rest_turns"].append(row)
            if stock is not None:
                # As many turns per conversation as ours, the three of verifying included.
                cpu_before_stock = cpu_seconds(stock.pid)
                row = asyncio.run(stock_turns(stock.url, conversations, turns + 3))
                row["cpu_ms_per_turn"] = {
                    "rasa": round(
                        (cpu_seconds(stock.pid) - cpu_before_stock) / row["count"] * 1000, 1
                    )
                }
                print(
                    f"[stock] {conversations} conversations: {row['turns_per_s']} turns/s, "
                    f"p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms",
                    flush=True,
                )
                measured["stock"]["rest_turns"].append(row)
        for mode, running in servers.items():
            modes[mode]["memory"] = {
                "rasa": memory_mb(running.rasa_pid),
                "actions": memory_mb(running.actions_pid),
            }
        if stock is not None:
            measured["stock"]["memory"] = {"rasa": memory_mb(stock.pid)}
        if args.long_turns:
            pairs = {window_label(window): servers[long_mode]}
            if whole is not None:
                pairs[window_label(0)] = whole
            print(f"long conversation of {args.long_turns} turns…", flush=True)
            runs = long_conversations(
                {label: (pair.rasa_url, pair.sms_outbox) for label, pair in pairs.items()},
                args.long_turns,
            )
            for label, run in runs.items():
                print(f"[{label}] by turn: {run['buckets']}", flush=True)
            measured["long_conversation"] = {
                "mode": long_mode,
                "window_events": window,
                "runs": runs,
                # Peak memory of each Rasa server after the long conversation.
                "rasa_memory": {label: memory_mb(pair.rasa_pid) for label, pair in pairs.items()},
                "startup_s": {
                    label: round(pair.startup_seconds, 1) for label, pair in pairs.items()
                },
            }
        if args.profile_turns:
            # One processor in this process, the same action server; only the check differs.
            last = list(servers)[-1]
            agent = load_agent(
                model,
                yaml_action_url(work / last / "endpoints.yml"),
                work / "profile-tracker.db",
                action_token=servers[last].action_token,
            )
            stages = profile_turns(
                agent,
                {mode: mode == "after" for mode in servers},
                servers[last].sms_outbox,
                turns=args.profile_turns,
            )
            for mode, stage_times in stages.items():
                modes[mode]["stages"] = stage_times
                print(f"[{mode}] ms per turn: {stage_times['ms_per_turn']}", flush=True)
    return measured


def add_comparisons(result: dict) -> None:
    """Our turns/s as a multiple of stock Rasa's, row by row, and the issue's targets."""
    stock = result.get("stock")
    for measured in result["modes"].values():
        if stock:
            ratios = throughput_vs_stock(measured["rest_turns"], stock["rest_turns"])
            for row in measured["rest_turns"]:
                row["turns_per_s_vs_stock"] = ratios[row["conversations"]]
    long = result.get("long_conversation")
    target_mode = long["mode"] if long else ("after" if "after" in result["modes"] else None)
    target_mode = target_mode or list(result["modes"])[-1]
    growth = long["runs"].get(window_label(long["window_events"])) if long else None
    result["targets"] = {
        "mode": target_mode,
        "checks": target_checks(
            result["modes"][target_mode]["rest_turns"],
            stock["rest_turns"] if stock else None,
            growth,
        ),
    }


def yaml_action_url(endpoints: Path) -> str:
    import yaml

    return yaml.safe_load(endpoints.read_text())["action_endpoint"]["url"]


def latency_plot(result: dict, path: Path) -> None:
    """REST turn latency by number of conversations, before and after, and NLU parse."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = result["modes"]
    labels = [f"NLU parse\n{mode}" for mode in modes]
    samples = [measured["nlu_parse"]["samples_ms"] for measured in modes.values()]
    for index, row in enumerate(next(iter(modes.values()))["rest_turns"]):
        for mode, measured in modes.items():
            labels.append(f"REST, {row['conversations']} conv.\n{mode}")
            samples.append(measured["rest_turns"][index]["samples_ms"])
    figure, axis = plt.subplots(figsize=(10, 4.5))
    axis.boxplot(samples, labels=labels, showfliers=False, whis=(5, 95))
    axis.set_yscale("log")
    axis.set_ylabel("ms (log scale; whiskers p5-p95)")
    stamp = result["stamp"]
    axis.set_title(
        f"Latency, {stamp['cpu_count']} cores, commit {stamp['commit'][:10]}"
        f"{' (dirty)' if stamp['dirty'] else ''}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def stages_plot(result: dict, path: Path) -> None:
    """Milliseconds per turn in each stage, before and after, stacked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = [m for m in result["modes"] if "stages" in result["modes"][m]]
    if not modes:
        return
    figure, axis = plt.subplots(figsize=(7, 4.5))
    stages = [*TOP_LEVEL, OTHER]
    bottoms = [0.0] * len(modes)
    for stage in stages:
        values = [result["modes"][m]["stages"]["ms_per_turn"][stage] for m in modes]
        axis.bar(modes, values, bottom=bottoms, label=stage)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]  # one per mode
    axis.set_ylabel("ms per turn (one conversation at a time)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def to_markdown(result: dict) -> str:
    stamp, modes = result["stamp"], result["modes"]
    names = list(modes)
    lines = [
        f"# Benchmark {result['started_at']}",
        "",
        (
            f"Commit `{stamp['commit']}`{' with uncommitted changes' if stamp['dirty'] else ''}, "
            f"{stamp['cpu_count']} cores, Python {result['python']}; load average "
            f"{stamp['load_average']} at the start, {result['load_average_end']} at the end "
            "(other work on the machine makes every figure slower and noisier)."
        ),
        "",
        (
            "before: Rasa's own check of every action answer (schema re-checked each call) and "
            "its own loading of DIET (a one-step training first); after: the check with the "
            "schema checked once (dialogue/action_calls.py) and DIET's weights restored as its "
            "layers are built (bank_nlu/model_loading.py)."
        ),
        "",
        "| measurement | "
        + " | ".join(f"{m} p50 ms | {m} p95 ms | {m} turns/s" for m in names)
        + " |",
        "|---|" + "---|---|---|" * len(names),
    ]

    def cells(row: dict | None) -> str:
        if row is None:
            return " | | "
        return f"{row['p50_ms']} | {row['p95_ms']} | {row.get('turns_per_s', '')}"

    lines.append(
        "| NLU parse (`/model/parse`) | "
        + " | ".join(cells(modes[m]["nlu_parse"]) for m in names)
        + " |"
    )
    for index, row in enumerate(modes[names[0]]["rest_turns"]):
        lines.append(
            f"| REST turn, {row['conversations']} conversation"
            f"{'s' if row['conversations'] > 1 else ''}"
            " at once | " + " | ".join(cells(modes[m]["rest_turns"][index]) for m in names) + " |"
        )
    lines += [
        "",
        "CPU milliseconds per REST turn (Rasa server / action server): "
        + "; ".join(
            f"{row['conversations']} at once: "
            + ", ".join(
                f"{m} {modes[m]['rest_turns'][i]['cpu_ms_per_turn']['rasa']} / "
                f"{modes[m]['rest_turns'][i]['cpu_ms_per_turn']['actions']}"
                for m in names
            )
            for i, row in enumerate(modes[names[0]]["rest_turns"])
        )
        + ".",
    ]
    stock = result.get("stock")
    if stock:
        lines += ["", *stock_markdown(result)]
    if result.get("targets"):
        lines += ["", *targets_markdown(result["targets"])]
    columns = [*names, "stock Rasa"] if stock else names
    lines += ["", "| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    lines.append(
        "| start-up, s (ours: both servers; stock: its Rasa server) | "
        + " | ".join(str(modes[m]["startup_s"]) for m in names)
        + (f" | {stock['startup_s']}" if stock else "")
        + " |"
    )
    for server in ("rasa", "actions"):
        stock_cell = (
            stock["memory"]["rasa"]["peak_rss_mb"] if stock and server == "rasa" else "none"
        )
        lines.append(
            f"| peak memory (VmHWM) of the {server} server, MB | "
            + " | ".join(str(modes[m]["memory"][server]["peak_rss_mb"]) for m in names)
            + (f" | {stock_cell}" if stock else "")
            + " |"
        )
    training = result["training"]
    lines += [
        "",
        "Training (`rasa train`, NLU and dialogue): "
        + (
            f"{training['training_s']} s"
            if training.get("training_s")
            else "not timed (--skip-training)"
        )
        + f". Model size: {training['model_mb']} MB.",
    ]
    staged = [m for m in names if "stages" in modes[m]]
    if staged:
        stage_names = list(modes[staged[0]]["stages"]["ms_per_turn"])
        lines += [
            "",
            "## Where a turn's time goes",
            "",
            (
                "Rasa's processor in the benchmark process with the same model and action server,"
                " one conversation at a time"
                f" ({modes[staged[0]]['stages']['turns']} turns); ms per turn."
            ),
            "",
            "| stage | " + " | ".join(staged) + " |",
            "|---|" + "---|" * len(staged),
        ]
        for stage in stage_names:
            lines.append(
                f"| {stage} | "
                + " | ".join(str(modes[m]["stages"]["ms_per_turn"][stage]) for m in staged)
                + " |"
            )
        lines += [
            "",
            "cProfile of the same turns: "
            + ", ".join(f"[{m}](profile-{m}.txt)" for m in staged)
            + ".",
        ]
    if "long_conversation" in result:
        lines += ["", *long_markdown(result["long_conversation"])]
    lines += ["", "![latency](latency.png)"]
    if staged:  # stages.png is drawn only with a stage profile
        lines += ["", "![stages](stages.png)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--turns", type=int, default=10, help="questions per conversation after verifying"
    )
    parser.add_argument(
        "--single-turns", type=int, default=60, help="questions of the lone conversation"
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--nlu-rounds", type=int, default=200)
    parser.add_argument(
        "--profile-turns",
        type=int,
        default=10,
        help="questions per profiled conversation (0: no stage profile)",
    )
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--random-customers", type=int, default=1000)
    parser.add_argument("--skip-training", action="store_true", help="do not time a training")
    parser.add_argument(
        "--long-turns",
        type=int,
        default=300,
        help="questions of the long conversation, windowed and whole session (0: none)",
    )
    parser.add_argument(
        "--no-stock", action="store_true", help="without the stock Rasa anchor (rasa init)"
    )
    args = parser.parse_args()

    started_at = datetime.now(timezone.utc)
    result: dict[str, object] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "stamp": machine_stamp(),
        "python": platform.python_version(),
        "arguments": vars(args),
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        if args.skip_training:
            model, training = latest_model(), {}
        else:
            print("timing a training of the model…", flush=True)
            training = timed_training(work / "train")
            model = training.pop("model")
        training["model_mb"] = round(model.stat().st_size / 1024 / 1024, 1)
        result["training"] = training
        loans_url = f"sqlite:///{work / 'loans.db'}"
        upgrade(loans_url)
        with session_scope(loans_url) as session:
            reset_demo_customers(session, today_in_china())
            add_random_customers(session, args.random_customers, today_in_china())
        stock_model = None
        if not args.no_stock:
            result["stock_project"] = prepare_stock_bot()
            stock_model = result["stock_project"].pop("model")
            result["stock_project"]["model"] = stock_model.name
        result.update(measure_modes(work, loans_url, model, args, stock_model))
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    add_comparisons(result)

    out = RESULTS / started_at.strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    for mode, measured in result["modes"].items():
        if "stages" in measured:
            (out / f"profile-{mode}.txt").write_text(
                measured["stages"].pop("cprofile"), encoding="utf-8"
            )
    (out / "results.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    latency_plot(result, out / "latency.png")
    stages_plot(result, out / "stages.png")
    if "long_conversation" in result:
        length_plot(result["long_conversation"]["runs"], out / "length.png")
    markdown = to_markdown(result)
    (out / "report.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"results in {out.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
