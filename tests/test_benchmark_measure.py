import os
import subprocess

import pytest

from benchmarks.measure import (
    child_pids,
    cpu_seconds,
    git_commit,
    machine_stamp,
    memory_mb,
    percentile,
    process_tree,
    summary_ms,
)


@pytest.mark.parametrize(
    "samples, fraction, expected",
    [([5.0], 0.95, 5.0), ([1, 2, 3, 4], 0.5, 2.5), ([4, 1, 3, 2], 0.0, 1), ([1, 2, 3, 4], 1.0, 4),
     (list(range(1, 101)), 0.95, 95.05), (list(range(1, 21)), 0.95, 19.05)],
)
def test_percentile_interpolates_between_ranks(samples, fraction, expected):
    assert percentile(samples, fraction) == pytest.approx(expected)


@pytest.mark.parametrize("samples, fraction", [([], 0.5), ([1.0], 1.5), ([1.0], -0.1)])
def test_percentile_refuses_nonsense(samples, fraction):
    with pytest.raises(ValueError):
        percentile(samples, fraction)


def test_summary_is_in_milliseconds():
    summary = summary_ms([0.010, 0.020, 0.030])
    assert summary["p50_ms"] == 20.0
    assert summary["p95_ms"] == 29.0
    assert summary["mean_ms"] == 20.0
    assert summary["count"] == 3
    assert summary["samples_ms"] == [10.0, 20.0, 30.0]


def write_git_file(repo, name, text):
    (repo / name).write_text(text)
    subprocess.run(["git", "add", name], cwd=repo, check=True)


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    write_git_file(tmp_path, "a.txt", "one")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first"],
                   cwd=tmp_path, check=True)
    return tmp_path


def test_commit_stamp_is_the_full_hash_and_says_when_the_tree_differs(repo):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert git_commit(repo) == {"commit": head, "dirty": False}
    (repo / "new-untracked.txt").write_text("not part of the commit, not a change to it")
    assert git_commit(repo)["dirty"] is False
    (repo / "a.txt").write_text("two")
    assert git_commit(repo) == {"commit": head, "dirty": True}


def test_machine_stamp_counts_the_cores_this_process_may_use():
    stamp = machine_stamp()
    assert stamp["cpu_count"] == len(os.sched_getaffinity(0)) >= 1
    assert len(stamp["load_average"]) == 3


def fake_process(proc, pid, children=(), rss_kb=0, peak_kb=0, user_ticks=0, system_ticks=0):
    task = proc / str(pid) / "task" / str(pid)
    task.mkdir(parents=True)
    (task / "children").write_text(" ".join(str(c) for c in children))
    (proc / str(pid) / "status").write_text(f"Name:\tpython\nVmHWM:\t{peak_kb} kB\nVmRSS:\t{rss_kb} kB\n")
    # A command name with a space and a parenthesis, as /proc allows.
    (proc / str(pid) / "stat").write_text(
        f"{pid} (rasa (main)) S 1 {pid} {pid} 0 -1 4194304 100 0 0 0 {user_ticks} {system_ticks} 0 0 20 0 1 0\n")


def test_memory_sums_the_process_tree(tmp_path):
    fake_process(tmp_path, 10, children=[11], rss_kb=1024, peak_kb=2048)
    fake_process(tmp_path, 11, children=[12], rss_kb=512, peak_kb=1024)
    fake_process(tmp_path, 12, rss_kb=512, peak_kb=1024)
    assert child_pids(10, tmp_path) == [11]
    assert sorted(process_tree(10, tmp_path)) == [10, 11, 12]
    assert memory_mb(10, tmp_path) == {"rss_mb": 2.0, "peak_rss_mb": 4.0, "processes": 3}


def test_memory_of_this_process_is_read_from_proc():
    memory = memory_mb(os.getpid())
    assert 0 < memory["rss_mb"] <= memory["peak_rss_mb"]


def test_cpu_time_sums_user_and_system_time_of_the_tree(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")
    fake_process(tmp_path, 20, children=[21], user_ticks=3 * ticks, system_ticks=ticks)
    fake_process(tmp_path, 21, user_ticks=ticks, system_ticks=0)
    assert cpu_seconds(20, tmp_path) == pytest.approx(5.0)
