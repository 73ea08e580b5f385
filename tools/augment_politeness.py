"""Writes data/nlu/politeness.yml: examples of every intent again, wrapped in the greetings,
courtesies and hesitations customers put around what they mean ("您好，…谢谢", "呃，那个…"),
labelled with the example's own intent.

Wrapped alike across all intents, these words stop carrying a signal. Without them the model
read "你好，罚息怎么算，谢谢" as a greeting, "…，谢谢" after a "no" as a thank-you, and a
hesitant "那个…" before anything as out of scope. The wrappers differ from the evaluation's
filler copy (evaluation/perturb.py), and a wrapped example that happens to be a message of
a test set (tests/data/, once normalised) is dropped, so the report still measures generalisation.
Deterministic: rerun after editing data/nlu.

    python -m tools.augment_politeness [--data DIR]
"""

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from overdue.normalizing import normalize

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "nlu"
# Never trained on: a wrapped example that equals one of their messages is dropped.
TEST_SETS = [
    ROOT / "tests" / "data" / name
    for name in ("nlu_heldout.yml", "nlu_independent.yml", "nlu_voice.yml")
]
GENERATED = "politeness.yml"
NOT_EXAMPLES = {GENERATED, "synonyms.yml", "out_of_scope_noise.yml"}

Wrapper = tuple[str, str]
# Words before a message that say nothing about it.
HESITATIONS: list[Wrapper] = [
    ("嗯，", ""),
    ("呃，", ""),
    ("那个，", ""),
    ("这个…", ""),
    ("emmm ", ""),
    ("哦，", ""),
    ("啊，", ""),
    ("唉，", ""),
    ("那啥，", ""),
    ("怎么说呢，", ""),
    ("嗯嗯，", ""),
]
# A greeting or a call for attention first.
OPENERS: list[Wrapper] = [
    ("您好，", ""),
    ("客服你好，", ""),
    ("在吗？", ""),
    ("喂，", ""),
    ("你好呀，", ""),
    ("hi，", ""),
]
# How a question is introduced.
ASKING: list[Wrapper] = [
    ("请问一下，", ""),
    ("问下，", "？"),
    ("想问问，", ""),
    ("不好意思打扰一下，", ""),
    ("咨询一下，", ""),
    ("请教下，", ""),
    ("我想了解下，", ""),
]
# Softeners and thanks after the message.
CLOSERS: list[Wrapper] = [
    ("", "，谢谢了"),
    ("", "，麻烦了"),
    ("", "，多谢"),
    ("", "，辛苦了"),
    ("", "，感谢"),
]
PARTICLES: list[Wrapper] = [("", "啊"), ("", "呀"), ("", "哈"), ("", "哦"), ("", "。。")]
# Greeting and thanks around the same message: the courtesy frame of a polite request.
COURTESY: list[Wrapper] = [
    ("您好，", "，谢谢您"),
    ("麻烦您，", ""),
    ("你好，麻烦帮我看下，", ""),
    ("", "，多谢啦"),
    ("客服您好，", "，感谢"),
    ("劳驾，", ""),
    ("你好，", "，辛苦啦"),
    ("打扰了，", "，谢谢哈"),
    ("在吗，", "，谢啦"),
    ("您好，请帮我看看，", "，谢谢"),
]
# The same for answers to the assistant's questions, which ask nothing.
ANSWER_COURTESY: list[Wrapper] = [
    ("您好，", "，谢谢您"),
    ("", "，多谢啦"),
    ("客服您好，", "，感谢"),
    ("你好，", "，辛苦啦"),
    ("", "，谢谢哈"),
    ("嗯，", "，谢啦"),
]

# Short answers are not questions, and thanks after a bare "好的" make it a thank-you
# (the intent contract), so each kind of intent gets the wrappers that keep its meaning.
WRAPPERS_BY_INTENT: dict[str, list[Wrapper]] = {
    "greet": HESITATIONS,
    "goodbye": HESITATIONS + OPENERS[:2] + PARTICLES,
    "thank": HESITATIONS + OPENERS[:3] + PARTICLES,
    "affirm": HESITATIONS + OPENERS + PARTICLES,
    "deny": HESITATIONS + OPENERS + CLOSERS + PARTICLES,
    "inform": HESITATIONS + OPENERS + CLOSERS + PARTICLES,
}
REQUEST_WRAPPERS = HESITATIONS + OPENERS + ASKING + CLOSERS + PARTICLES
ALL_WRAPPERS = REQUEST_WRAPPERS + COURTESY + ANSWER_COURTESY
TRAILING_PUNCTUATION = "。.！!？?～~"
# Greetings and thanks are the courtesy itself. A confirmation with thanks ("可以，谢谢") is
# still a yes, but a bare "好的" with thanks is a thank-you (the intent contract).
WITHOUT_COURTESY = {"greet", "thank"}
ANSWERS = {"affirm", "deny", "inform", "goodbye"}
BARE_ACKNOWLEDGEMENT = re.compile(r"^(好|嗯|恩|行|哦|ok|OK|Ok|okay)")
EVERY = 2  # one example in two gets a wrapper
COURTESY_EVERY = 3  # and one in three, another, a courtesy frame


def example_lines(block: dict) -> list[str]:
    return [
        line[2:].strip()
        for line in (block.get("examples") or "").splitlines()
        if line.startswith("- ")
    ]


def intent_blocks(data: Path) -> Iterator[tuple[str, list[str]]]:
    for path in sorted(data.glob("*.yml")):
        if path.name in NOT_EXAMPLES:
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent"):
                yield block["intent"], example_lines(block)


def heldout_texts() -> set[str]:
    """The test sets' messages as the classifier sees them (normalised)."""
    from rasa.shared.nlu.training_data.loading import load_data

    return {
        normalize(message.get("text"), expand=False)
        for path in TEST_SETS
        if path.exists()
        for message in load_data(str(path)).intent_examples
    }


def wrap(example: str, before: str, after: str) -> str:
    if after:
        example = example.rstrip(TRAILING_PUNCTUATION)
    return f"{before}{example}{after}"


def plain_text(example: str) -> str:
    """The example as the classifier sees it, entity markup removed: `[卡](loan_type)` -> 卡."""
    return re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", example)


def augmented(data: Path, heldout: set[str]) -> dict[str, list[str]]:
    blocks = list(intent_blocks(data))
    seen = {example for _, lines in blocks for example in lines}
    out: dict[str, list[str]] = {}

    def add(intent: str, examples: list[str], wrappers: list[Wrapper]) -> None:
        for index, example in enumerate(examples):
            if not example.rstrip(TRAILING_PUNCTUATION):
                continue  # "。。。" says nothing to wrap
            before, after = wrappers[(index + len(intent)) % len(wrappers)]
            # Entity annotations stay valid: text is only added around the example.
            text = wrap(example, before, after)
            if text not in seen and normalize(plain_text(text), expand=False) not in heldout:
                seen.add(text)
                out.setdefault(intent, []).append(text)

    for intent, lines in blocks:
        add(intent, lines[::EVERY], WRAPPERS_BY_INTENT.get(intent, REQUEST_WRAPPERS))
        if intent not in WITHOUT_COURTESY:
            framed = [
                line
                for line in lines[1::COURTESY_EVERY]
                if intent != "affirm" or not BARE_ACKNOWLEDGEMENT.match(line)
            ]
            add(intent, framed, ANSWER_COURTESY if intent in ANSWERS else COURTESY)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    out = [
        "# Generated by tools/augment_politeness.py: examples wrapped in greetings, courtesies and hesitations.",
        'version: "3.1"',
        "nlu:",
    ]
    for intent, examples in augmented(args.data, heldout_texts()).items():
        if examples:
            out += [
                f"- intent: {intent}",
                "  examples: |",
                *(f"    - {example}" for example in examples),
            ]
    (args.data / GENERATED).write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
