"""Copies of a test set the way real customers would have typed it: traditional
characters, full-width digits, one homophone typo per message, filler around the request.
Each function is deterministic, so a report can be reproduced."""

import random
from collections.abc import Callable

# Homophone and near-homophone slips customers make with pinyin input, most useful first.
HOMOPHONES = [
    ("征信", "正信"),
    ("逾期", "预期"),
    ("罚息", "法息"),
    ("还款", "换款"),
    ("分期", "分其"),
    ("延期", "严期"),
    ("利息", "利系"),
    ("信用卡", "信用咔"),
    ("减免", "减勉"),
    ("投诉", "头诉"),
    ("人工", "人公"),
    ("贷款", "带款"),
    ("账单", "帐单"),
    ("多少", "多小"),
    ("怎么", "咋么"),
    ("已经", "以经"),
    ("银行", "银航"),
    ("协商", "协伤"),
    ("失业", "失叶"),
    ("谢谢", "谢些"),
]
FILLERS = [("嗯那个…请问", ""), ("你好，", "，谢谢"), ("额，", "呢？"), ("麻烦问一下，", "")]


def traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def full_width(text: str) -> str:
    """ASCII digits and letters as their full-width forms (３０００, ｚｒｇ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def one_typo(text: str) -> str:
    """The first homophone slip that applies; unchanged when none does."""
    for word, slip in HOMOPHONES:
        if word in text:
            return text.replace(word, slip, 1)
    return text


def with_filler(text: str, seed: int | None = None) -> str:
    before, after = FILLERS[
        (seed if seed is not None else random.randrange(len(FILLERS))) % len(FILLERS)
    ]
    return f"{before}{text}{after}"


COPIES: dict[str, Callable[[str, int], str]] = {
    "traditional": lambda text, i: traditional(text),
    "full-width": lambda text, i: full_width(text),
    "homophone typo": lambda text, i: one_typo(text),
    "filler": lambda text, i: with_filler(text, i),
}
