"""Conversation tests: `rasa test core` on tests/stories with the trained model."""
import subprocess
import sys
from pathlib import Path

from launcher import ROOT, latest_model


def test_every_test_story_passes(tmp_path):
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [rasa, "test", "core", "--stories", str(ROOT / "tests" / "stories"),
         "--model", str(latest_model()), "--out", str(tmp_path), "--no-plot"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed
