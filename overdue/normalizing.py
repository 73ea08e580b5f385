"""Customer text in one form, as the classifier and the payload guard read it.

Traditional -> simplified (OpenCC), full-width -> half-width, emoji dropped (an
emoji-only gesture reply becomes its word: 👌 -> 好的), the pinyin initials of the bank's
key words spelled out (zrg -> 转人工), runs of the same punctuation collapsed, whitespace
tidied, and over-long messages cut to the parts that carry the request. The NLU runs it
as its first graph component (bank_nlu/normalizer.py); offsets are kept so training
examples keep their entity annotations.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Long stories end with the request; keep the opening and, above all, the end.
MAX_HEAD_CHARS = 100
MAX_TAIL_CHARS = 300

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff"
    "\U00002b00-\U00002bff\U0000fe00-\U0000fe0f\U0000200d\U000020e3]"
)
_PUNCTUATION = set("!?.,;:~。，！？、；：…～-—·")

# A reply that is only emoji says something when it is one of these gestures; elsewhere in a
# message emoji are dropped (🙏 after a plea means "please", not "thank you").
EMOJI_REPLIES = {
    "👌": "好的",
    "👍": "好的",
    "🆗": "好的",
    "✅": "好的",
    "✔": "好的",
    "🙆": "好的",
    "🙏": "谢谢",
    "💐": "谢谢",
    "🌹": "谢谢",
    "👋": "拜拜",
    "🖐": "拜拜",
    "❌": "不",
    "✖": "不",
    "🙅": "不",
    "👎": "不",
}
# Pinyin initials customers type for the bank's key words (zrg = 转人工), taken only as a whole
# run of Latin letters. Each is as long as its word, so entity offsets stay where they were.
PINYIN_ABBREVIATIONS = {
    "zrg": "转人工",
    "rg": "人工",
    "zx": "征信",
    "yq": "逾期",
    "hk": "还款",
    "fq": "分期",
    "jm": "减免",
    "ts": "投诉",
    "fx": "罚息",
    "xyk": "信用卡",
}
_LATIN_RUN = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?![A-Za-z])")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    # Phrase conversion changed the length: fall back to characters so offsets stay 1:1.
    return "".join(_converter().convert(char) or char for char in text)


def _expand_abbreviation(match: re.Match[str]) -> str:
    return PINYIN_ABBREVIATIONS.get(match[0].lower(), match[0])


def _emoji_reply(text: str) -> str | None:
    """The word an emoji-only reply stands for (👌 -> 好的), or None."""
    words = []
    for char in text:
        if char in EMOJI_REPLIES:
            words.append(EMOJI_REPLIES[char])
        elif not (_EMOJI.match(char) or char.isspace() or char in _PUNCTUATION or char == "\ufe0f"):
            return None
    return words[0] if words and len(set(words)) == 1 else None


def normalize_with_offsets(text: str, expand: bool = True) -> tuple[str, list[int]]:
    """The normalised text and, for every original offset 0..len(text), its new offset.
    Without `expand`, gestures and abbreviations stay as typed: the form in which test sets
    are compared with the training data (a copy in disguise, not a shared meaning)."""
    reply = _emoji_reply(text or "") if expand else None
    if reply is not None:
        return reply, [0] * len(text) + [len(reply)]
    simplified = _to_simplified(text or "")
    pieces: list[str] = []
    offsets: list[int] = []
    position = 0
    previous = ""
    for char in simplified:
        offsets.append(position)
        if _EMOJI.match(char):
            continue
        piece = unicodedata.normalize("NFKC", char)
        if piece.isspace():
            piece = " "
        if piece and piece == previous and (piece in _PUNCTUATION or piece == " "):
            continue  # "！！！" says no more than "！"
        pieces.append(piece)
        position += len(piece)
        previous = piece
    offsets.append(position)
    normalized = "".join(pieces)
    return (_LATIN_RUN.sub(_expand_abbreviation, normalized) if expand else normalized), offsets


def normalize(text: str, expand: bool = True) -> str:
    """Normalised text as the classifier sees it; long messages keep head and tail."""
    normalized = normalize_with_offsets(text, expand)[0].strip()
    if len(normalized) > MAX_HEAD_CHARS + MAX_TAIL_CHARS:
        normalized = normalized[:MAX_HEAD_CHARS] + "……" + normalized[-MAX_TAIL_CHARS:]
    return normalized
