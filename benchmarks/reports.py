"""Pure helpers behind the figures of issue 18: latency by turn-number bucket, ratios to the
stock Rasa anchor, and whether the targets are met."""

from collections.abc import Sequence

from benchmarks.measure import percentile

# The targets.
MAX_LENGTH_GROWTH = 1.3  # turns 290-300 against turns 1-10, medians
MAX_P95_MS_AT_20 = 1000.0  # one instance, 20 conversations at once
MIN_THROUGHPUT_VS_STOCK = 1.0  # turns/s of ours over stock's, 20 conversations at once


def turn_buckets(turns: int) -> list[tuple[int, int]]:
    """The turn ranges (1-based, both ends included) reported for a conversation of that many
    turns: 1-10, 71-80 and 290-300 for 300 turns; for shorter ones the last eleven turns stand
    in for 290-300, and 71-80 only when it lies between the first and the last bucket."""
    if turns <= 0:
        return []
    first = (1, min(10, turns))
    last = (turns - 10, turns)
    if last[0] <= first[1]:
        return [first]
    middle = (71, 80)
    if first[1] < middle[0] and middle[1] < last[0]:
        return [first, middle, last]
    return [first, last]


def bucket_label(bucket: tuple[int, int]) -> str:
    return f"{bucket[0]}-{bucket[1]}"


def bucket_summary(latencies: Sequence[float], bucket: tuple[int, int]) -> dict[str, float]:
    """Median and p95 in milliseconds of the turns in the bucket; latencies[0] is turn 1."""
    samples = latencies[bucket[0] - 1 : bucket[1]]
    if len(samples) != bucket[1] - bucket[0] + 1:
        raise ValueError(f"turns {bucket_label(bucket)} are not all among {len(latencies)} turns")
    return {
        "p50_ms": round(percentile(samples, 0.5) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "turns": len(samples),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator to two decimals; None when either is missing or the
    denominator is zero (nothing to compare with)."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def length_growth(latencies: Sequence[float]) -> dict[str, object]:
    """Latency by turn-number bucket, and how much the last bucket's median and p95 are of
    the first's. ``latencies`` are seconds, turn 1 first."""
    buckets = turn_buckets(len(latencies))
    summaries = {bucket_label(b): bucket_summary(latencies, b) for b in buckets}
    growth: dict[str, object] = {"turns": len(latencies), "buckets": summaries}
    if len(buckets) > 1:
        first, last = summaries[bucket_label(buckets[0])], summaries[bucket_label(buckets[-1])]
        growth["last_over_first"] = f"{bucket_label(buckets[-1])} / {bucket_label(buckets[0])}"
        growth["p50_ratio"] = ratio(last["p50_ms"], first["p50_ms"])
        growth["p95_ratio"] = ratio(last["p95_ms"], first["p95_ms"])
    return growth


def rows_by_conversations(rows: Sequence[dict]) -> dict[int, dict]:
    return {row["conversations"]: row for row in rows}


def throughput_vs_stock(ours: Sequence[dict], stock: Sequence[dict]) -> dict[int, float | None]:
    """Per number of conversations at once: our turns/s over stock's in the same run."""
    stock_rows = rows_by_conversations(stock)
    return {
        row["conversations"]: ratio(
            row["turns_per_s"], stock_rows.get(row["conversations"], {}).get("turns_per_s")
        )
        for row in ours
    }


def target_checks(
    ours: Sequence[dict], stock: Sequence[dict] | None, growth: dict | None
) -> list[dict[str, object]]:
    """The issue's targets with the figures measured: ``ours`` are the REST rows of one mode,
    ``stock`` the anchor's rows (None when skipped), ``growth`` the windowed long
    conversation's length_growth (None when skipped). ``met`` is None when not measured."""
    at_20 = rows_by_conversations(ours).get(20)
    stock_20 = rows_by_conversations(stock or []).get(20)
    vs_stock = ratio(at_20["turns_per_s"], stock_20["turns_per_s"]) if at_20 and stock_20 else None
    p95 = at_20["p95_ms"] if at_20 else None
    length = growth.get("p50_ratio") if growth else None

    def check(name: str, value, target: str, met: bool | None) -> dict[str, object]:
        return {"target": name, "value": value, "goal": target, "met": met}

    return [
        check(
            "20 conversations at once, one instance: turns/s over stock Rasa's",
            vs_stock,
            f">= {MIN_THROUGHPUT_VS_STOCK}",
            None if vs_stock is None else vs_stock >= MIN_THROUGHPUT_VS_STOCK,
        ),
        check(
            "20 conversations at once, one instance: p95 turn latency, ms",
            p95,
            f"<= {MAX_P95_MS_AT_20:g}",
            None if p95 is None else p95 <= MAX_P95_MS_AT_20,
        ),
        check(
            "turn cost, last turns over turns 1-10 (medians)"
            + (f", turns {growth['last_over_first']}" if growth and length is not None else ""),
            length,
            f"<= {MAX_LENGTH_GROWTH}",
            None if length is None else length <= MAX_LENGTH_GROWTH,
        ),
    ]


def met_text(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def targets_markdown(targets: dict) -> list[str]:
    """The section of report.md: each target, its figure, and met or not."""
    lines = [
        "## Targets (issue 18)",
        "",
        f"Figures of the {targets['mode']} mode, measured in this run.",
        "",
        "| target | measured | goal | |",
        "|---|---|---|---|",
    ]
    for check in targets["checks"]:
        value = "" if check["value"] is None else check["value"]
        lines.append(
            f"| {check['target']} | {value} | {check['goal']} | {met_text(check['met'])} |"
        )
    return lines
