"""Small, pure helpers of the benchmarks: percentiles, the machine and commit a run is
stamped with, and the memory of a server's process tree."""

import os
import statistics
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), fraction in 0..1."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction {fraction} is not between 0 and 1")
    ordered = sorted(samples)
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def summary_ms(samples: Sequence[float]) -> dict[str, object]:
    """p50, p95, mean and count of latencies given in seconds, in milliseconds."""
    return {
        "p50_ms": round(percentile(samples, 0.5) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "mean_ms": round(statistics.mean(samples) * 1000, 1),
        "count": len(samples),
        "samples_ms": [round(sample * 1000, 1) for sample in samples],
    }


def cpu_count() -> int:
    """The cores this process may run on, as `nproc` counts them."""
    return len(os.sched_getaffinity(0))


def git_commit(root: Path = ROOT) -> dict[str, object]:
    """HEAD's full hash, and whether the working tree differs from it."""

    def git(*args: str) -> str:
        # Outside a git checkout the stamp says "unknown" rather than failing the benchmark.
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def machine_stamp() -> dict[str, object]:
    """What a result is only comparable with.

    The core count, the commit, and how busy the machine was.
    """
    return {
        "cpu_count": cpu_count(),
        **git_commit(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def child_pids(pid: int, proc: Path = Path("/proc")) -> list[int]:
    children: list[int] = []
    for task in (proc / str(pid) / "task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def process_tree(pid: int, proc: Path = Path("/proc")) -> Iterator[int]:
    """The process and all its descendants."""
    pending = [pid]
    while pending:
        current = pending.pop()
        yield current
        pending += child_pids(current, proc)


def status_kb(pid: int, key: str, proc: Path = Path("/proc")) -> int | None:
    """A `VmRSS`-style field of /proc/<pid>/status in kB, None when the process is gone."""
    try:
        lines = (proc / str(pid) / "status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, rest = line.partition(":")
        if name == key:
            return int(rest.split()[0])
    return None


def memory_mb(pid: int, proc: Path = Path("/proc")) -> dict[str, float]:
    """Resident memory now and at its peak (VmHWM), summed over the process tree."""
    pids = list(process_tree(pid, proc))
    rss = sum(status_kb(p, "VmRSS", proc) or 0 for p in pids)
    peak = sum(status_kb(p, "VmHWM", proc) or 0 for p in pids)
    return {
        "rss_mb": round(rss / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "processes": len(pids),
    }


def cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """User and system CPU time used so far by the process tree (processes still running)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid, proc):
        try:
            stat = (proc / str(member) / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
