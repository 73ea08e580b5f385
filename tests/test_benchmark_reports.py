import pytest

from benchmarks.reports import (
    bucket_summary,
    length_growth,
    met_text,
    ratio,
    target_checks,
    targets_markdown,
    throughput_vs_stock,
    turn_buckets,
)


@pytest.mark.parametrize(
    "turns, expected",
    [(300, [(1, 10), (71, 80), (290, 300)]), (60, [(1, 10), (50, 60)]), (85, [(1, 10), (75, 85)]),
     (100, [(1, 10), (71, 80), (90, 100)]), (21, [(1, 10), (11, 21)]), (20, [(1, 10)]), (15, [(1, 10)]), (5, [(1, 5)]),
     (0, [])],
)
def test_turn_buckets_are_the_first_the_middle_and_the_last_turns(turns, expected):
    assert turn_buckets(turns) == expected


def test_turn_buckets_never_overlap_the_first():
    for turns in range(1, 400):
        buckets = turn_buckets(turns)
        assert buckets[0] == (1, min(10, turns))
        assert all(a[1] < b[0] for a, b in zip(buckets, buckets[1:]))
        assert buckets[-1][1] == turns or len(buckets) == 1


def test_bucket_summary_takes_the_turns_by_number_in_milliseconds():
    latencies = [0.002 * turn for turn in range(1, 31)]  # turn n takes 2n ms
    assert bucket_summary(latencies, (1, 10)) == {"p50_ms": 11.0, "p95_ms": 19.1, "turns": 10}
    assert bucket_summary(latencies, (20, 30))["p50_ms"] == 50.0


def test_bucket_summary_refuses_turns_that_were_not_measured():
    with pytest.raises(ValueError):
        bucket_summary([0.1] * 5, (1, 10))


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [(3.0, 2.0, 1.5), (1.0, 3.0, 0.33), (None, 2.0, None), (2.0, None, None), (2.0, 0, None)],
)
def test_ratio_is_two_decimals_or_none_without_a_base(numerator, denominator, expected):
    assert ratio(numerator, denominator) == expected


def test_length_growth_compares_the_last_turns_with_the_first():
    latencies = [0.1] * 10 + [0.2] * 279 + [0.13] * 11
    growth = length_growth(latencies)
    assert list(growth["buckets"]) == ["1-10", "71-80", "290-300"]
    assert growth["turns"] == 300
    assert growth["last_over_first"] == "290-300 / 1-10"
    assert growth["p50_ratio"] == 1.3
    assert growth["p95_ratio"] == 1.3


def test_length_growth_of_a_short_conversation_has_no_ratio():
    growth = length_growth([0.1] * 12)
    assert list(growth["buckets"]) == ["1-10"]
    assert "p50_ratio" not in growth


def rows(*pairs):
    return [{"conversations": c, "turns_per_s": t, "p95_ms": p} for c, t, p in pairs]


def test_throughput_is_a_multiple_of_stock_at_the_same_concurrency():
    ours = rows((1, 4.0, 300.0), (20, 9.0, 900.0), (100, 8.0, 5000.0))
    stock = rows((1, 8.0, 100.0), (20, 6.0, 400.0))
    assert throughput_vs_stock(ours, stock) == {1: 0.5, 20: 1.5, 100: None}


def test_targets_say_met_and_not_met():
    ours = rows((1, 4.0, 300.0), (20, 9.0, 1200.0))
    stock = rows((20, 6.0, 400.0))
    growth = {"last_over_first": "290-300 / 1-10", "p50_ratio": 1.1}
    checks = target_checks(ours, stock, growth)
    assert [check["met"] for check in checks] == [True, False, True]
    assert [check["value"] for check in checks] == [1.5, 1200.0, 1.1]
    assert "290-300 / 1-10" in checks[2]["target"]


def test_targets_not_measured_when_skipped():
    checks = target_checks(rows((1, 4.0, 300.0)), None, None)
    assert [check["met"] for check in checks] == [None, None, None]
    assert [met_text(check["met"]) for check in checks] == ["not measured"] * 3


def test_targets_markdown_is_one_row_per_target():
    checks = target_checks(rows((20, 5.0, 800.0)), rows((20, 10.0, 100.0)), {"p50_ratio": 2.0,
                                                                             "last_over_first": "50-60 / 1-10"})
    lines = targets_markdown({"mode": "after", "checks": checks})
    assert lines[0] == "## Targets (issue 18)"
    body = [line for line in lines if line.startswith("| ") and "measured" not in line]
    assert len(body) == 3
    assert body[0].endswith("| 0.5 | >= 1.0 | NOT met |")
    assert body[1].endswith("| 800.0 | <= 1000 | met |")
    assert body[2].endswith("| 2.0 | <= 1.3 | NOT met |")
