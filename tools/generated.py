"""Files written by a generator: written, or only compared (``--check``), never edited by hand.

A generator renders every file it owns to text and hands them here. With ``check`` nothing is
written: each file that differs from what the generator would write is named on stderr, with
the first differing lines and the command that regenerates it, and the exit code is 1.
"""

import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIFF_LINES = 12  # enough to see whether a generator drifted or a line was edited by hand


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _first_differences(path: Path, current: str, wanted: str) -> list[str]:
    diff = difflib.unified_diff(
        current.splitlines(),
        wanted.splitlines(),
        f"{_shown(path)} (as it is)",
        f"{_shown(path)} (as generated)",
        lineterm="",
    )
    return list(diff)[:DIFF_LINES]


def stale_files(outputs: dict[Path, str]) -> list[Path]:
    """The files whose text is not what the generator renders (missing ones included)."""
    return [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write_or_check(outputs: dict[Path, str], *, check: bool, command: str) -> int:
    """Writes the files, or with ``check`` compares them; returns the exit code."""
    if not check:
        for path, text in outputs.items():
            path.write_text(text, encoding="utf-8")
        return 0
    stale = stale_files(outputs)
    for path in stale:
        print(
            f"{_shown(path)} is stale: it is not what its generator writes. "
            f"Regenerate it with `{command}` (edit the generator or its sources, "
            "not the generated file).",
            file=sys.stderr,
        )
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        for line in _first_differences(path, current, outputs[path]):
            print(f"    {line}", file=sys.stderr)
    return 1 if stale else 0
