"""Turn cost against conversation length: one verified customer asking account questions for
hundreds of turns over REST, on each of several server pairs (the tracker read in a window
of the latest events, and the whole session as Rasa reads it). The pairs take turns, turn by
turn, so a change in the machine's load hits each alike."""

import asyncio
import time
from pathlib import Path

from benchmarks.reports import length_growth
from benchmarks.rest_client import client_session, reply, verify
from benchmarks.turn_profile import QUESTIONS


async def _long_conversations(
    servers: dict[str, tuple[str, Path]], turns: int
) -> dict[str, dict[str, object]]:
    runs: dict[str, dict[str, object]] = {}
    async with client_session() as session:
        senders = {}
        for index, (label, (url, outbox)) in enumerate(servers.items()):
            # Sender ids are letters, digits and dashes (overdue/sender_ids.py); labels are not.
            senders[label] = f"long-{index}-{time.time_ns()}"
            setup: list[float] = []
            await verify(session, url, senders[label], 0, setup, outbox, {})
            runs[label] = {"setup_ms": [round(s * 1000, 1) for s in setup], "latencies": []}
            runs[label]["empty_replies"] = 0
        for turn in range(turns):
            question = QUESTIONS[turn % len(QUESTIONS)]
            for label, (url, _) in servers.items():
                started = time.perf_counter()
                answer = await reply(session, url, senders[label], question)
                runs[label]["latencies"].append(time.perf_counter() - started)
                # A verified customer always gets an answer; none would mean a broken run.
                runs[label]["empty_replies"] += not answer
                if turn in (0, turns - 1):
                    runs[label][f"reply_turn_{turn + 1}"] = [m.get("text") for m in answer]
    return runs


def long_conversations(servers: dict[str, tuple[str, Path]], turns: int) -> dict[str, dict]:
    """Per server pair (label: Rasa URL and SMS outbox), the latency of each question turn
    after verifying (turn 1 is the first question; the three turns of verifying come before
    it) and the growth by turn-number bucket."""
    results = {}
    for label, run in asyncio.run(_long_conversations(servers, turns)).items():
        latencies = run.pop("latencies")
        results[label] = {
            **length_growth(latencies),
            **run,
            "samples_ms": [round(s * 1000, 1) for s in latencies],
        }
    return results


def length_plot(runs: dict[str, dict], path: Path) -> None:
    """Latency of every turn by its number, one line per server pair, with a running median."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.measure import percentile

    figure, axis = plt.subplots(figsize=(9, 4.5))
    for label, run in runs.items():
        samples = run["samples_ms"]
        turns = range(1, len(samples) + 1)
        line = axis.plot(turns, samples, alpha=0.3, linewidth=0.8)[0]
        running = [percentile(samples[max(0, i - 9) : i + 1], 0.5) for i in range(len(samples))]
        axis.plot(turns, running, color=line.get_color(), label=f"{label} (median of 10)")
    axis.set_xlabel("turn number (questions after verifying)")
    axis.set_ylabel("REST turn latency, ms")
    axis.set_ylim(bottom=0)
    axis.legend(fontsize=8)
    axis.set_title("Turn cost by conversation length, one conversation")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def to_markdown(long: dict) -> list[str]:
    """The section of report.md: latency by turn bucket per server pair, and the growth."""
    runs = long["runs"]
    labels = list(runs)
    buckets = list(runs[labels[0]]["buckets"])
    lines = [
        "## Turn cost vs conversation length",
        "",
        (
            f"One verified customer asking account questions for {runs[labels[0]]['turns']} "
            "turns over REST (after the three turns of verifying), on each server pair; the "
            "pairs take turns, turn by turn. ms per turn."
        ),
        "",
        "| turns | " + " | ".join(f"{label} p50 | {label} p95" for label in labels) + " |",
        "|---|" + "---|---|" * len(labels),
    ]
    for bucket in buckets:
        lines.append(
            f"| {bucket} | "
            + " | ".join(
                f"{runs[label]['buckets'][bucket]['p50_ms']} | "
                f"{runs[label]['buckets'][bucket]['p95_ms']}"
                for label in labels
            )
            + " |"
        )
    if "p50_ratio" in runs[labels[0]]:
        lines.append(
            f"| {runs[labels[0]]['last_over_first']} | "
            + " | ".join(
                f"{runs[label]['p50_ratio']}x | {runs[label]['p95_ratio']}x" for label in labels
            )
            + " |"
        )
    lines += [
        "",
        "Rasa server of each pair after the long conversation, peak memory (VmHWM): "
        + ", ".join(f"{label} {long['rasa_memory'][label]['peak_rss_mb']} MB" for label in labels)
        + "; start-up of the pair: "
        + ", ".join(f"{label} {long['startup_s'][label]} s" for label in labels)
        + f". Both pairs run the {long['mode']} mode's code.",
    ]
    empty = {
        label: runs[label]["empty_replies"] for label in labels if runs[label]["empty_replies"]
    }
    if empty:
        lines += ["", f"Turns without any answer (a broken run): {empty}."]
    lines += ["", "![turn cost by conversation length](length.png)"]
    return lines
