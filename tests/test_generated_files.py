"""The generated training data is what its generators write: data/rules/routing.yml and
forms.yml (tools/generate_rules.py) and data/nlu/politeness.yml (tools/augment_politeness.py).
Each generator's ``--check`` compares without writing; these run it as CI does, and show that
it catches a stale file (a copy of the data with one line edited by hand). No servers."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "data" / "rules"
NLU = ROOT / "data" / "nlu"
GENERATORS = {
    "rules": ["-m", "tools.generate_rules"],
    "politeness": ["-m", "tools.augment_politeness"],
}


def check(generator: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *GENERATORS[generator], "--check", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def edited_copy(source: Path, tmp_path: Path, name: str, line: int) -> Path:
    """A copy of the folder with one line of ``name`` changed, as a hand edit would."""
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    lines = (copy / name).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line] = lines[line].rstrip("\n") + "  # edited by hand\n"
    (copy / name).write_text("".join(lines), encoding="utf-8")
    return copy


@pytest.mark.parametrize("generator", GENERATORS)
def test_generated_files_are_what_their_generators_write(generator):
    result = check(generator)
    assert result.returncode == 0, result.stderr


def test_the_rules_check_names_a_stale_file_and_how_to_regenerate_it(tmp_path):
    rules = edited_copy(RULES, tmp_path, "forms.yml", 10)
    before = (rules / "forms.yml").read_text(encoding="utf-8")
    result = check("rules", "--rules", str(rules))
    assert result.returncode == 1
    assert "forms.yml is stale" in result.stderr and "routing.yml" not in result.stderr
    assert f"python -m tools.generate_rules --rules {rules}" in result.stderr
    assert (rules / "forms.yml").read_text(encoding="utf-8") == before  # a check writes nothing


def test_the_politeness_check_names_a_stale_file_and_how_to_regenerate_it(tmp_path):
    nlu = edited_copy(NLU, tmp_path, "politeness.yml", 20)
    result = check("politeness", "--data", str(nlu))
    assert result.returncode == 1
    assert "politeness.yml is stale" in result.stderr
    assert f"python -m tools.augment_politeness --data {nlu}" in result.stderr


def test_an_edited_example_makes_politeness_stale(tmp_path):
    # The other way a generated file goes stale: its sources change and it is not regenerated.
    nlu = tmp_path / "nlu"
    shutil.copytree(NLU, nlu)
    penalty = nlu / "ask_penalty.yml"
    # Twelve new examples: one of every four gets a wrapper and one of every six a courtesy frame,
    # whichever places they take; not every wrapper is one the normaliser takes off again.
    penalty.write_text(penalty.read_text(encoding="utf-8")
                       + "".join(f"    - 第{n}个月的罚息是怎么算出来的\n" for n in "一二三四五六七八九十两百"),
                       encoding="utf-8")
    assert check("politeness", "--data", str(nlu)).returncode == 1
