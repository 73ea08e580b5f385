"""Customer text in one form, as the classifier and the payload guard read it.

Traditional -> simplified (OpenCC), full-width -> half-width, emoji dropped (an
emoji-only gesture reply becomes its word: 👌 -> 好的, and so does a shorthand reply: 88 ->
拜拜), the pinyin initials of the bank's key words spelled out (zrg -> 转人工), hesitations
and "may I ask" taken off the front (嗯那个…请问), runs of the same punctuation collapsed,
whitespace tidied, and over-long messages cut to the parts that carry the request. The NLU runs it
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

# Internet shorthand that is a whole reply: 88 is "bye", not 88 yuan, when it is all there is.
SHORTHAND_REPLIES = {
    "88": "拜拜",
    "886": "拜拜",
    "8886": "拜拜",
    "88了": "拜拜",
    "白白": "拜拜",
    "3q": "谢谢",
    "3x": "谢谢",
}
# Hesitations and "may I ask" before the message say nothing about what it asks (嗯那个…请问,
# 额，): taken off the front, so the classifier reads the request. A hesitation counts only
# before a pause or another filler (额度, 那个月 and 这个月 are words); nothing is taken off
# a message that is only filler (嗯 alone is a yes).
_SEPARATORS = r"[，,、。.…~～\s!！?？:：]"
# A repeated sound is one hesitation (嗯嗯 alone stays a yes): (?!c) stops the match halving it.
_HESITATION = (
    "(?:"
    + "|".join(f"{sound}+(?!{sound})" for sound in "嗯恩呃额啊哦噢唉哎")
    + r"|em+(?!m)|那个|这个|那啥|怎么说呢)"
)
_ASKING = (
    r"(?:请问一下|请问下|请问|麻烦问一下|麻烦问下|我想问一下|我想问下|我想问问|想问一下|想问下"
    r"|想问问|问一下|问下|咨询一下|请教一下|请教下|打扰一下|就是说)"
)
_LEADING_FILLER = re.compile(
    rf"^(?:(?:{_HESITATION}(?={_SEPARATORS}|{_HESITATION}|{_ASKING})|{_ASKING}){_SEPARATORS}*)+",
    re.IGNORECASE,
)


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


def _leading_filler_length(text: str) -> int:
    """How many characters of leading filler to drop: none when nothing would remain."""
    match = _LEADING_FILLER.match(text)
    if not match or not text[match.end() :].strip(" " + "".join(_PUNCTUATION)):
        return 0
    return match.end()


def normalize_with_offsets(text: str, expand: bool = True) -> tuple[str, list[int]]:
    """The normalised text and, for every original offset 0..len(text), its new offset.
    Without `expand`, gestures, shorthand, abbreviations and leading filler stay as typed: the
    form in which test sets are compared with the training data (a copy in disguise, not a
    shared meaning)."""
    reply = _emoji_reply(text or "") if expand else None
    if reply is None and expand:
        reply = SHORTHAND_REPLIES.get((text or "").strip().lower())
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
    if not expand:
        return normalized, offsets
    lead = len(normalized) - len(normalized.lstrip())
    cut = lead + _leading_filler_length(normalized[lead:])
    if cut > lead:
        normalized = normalized[cut:]
        offsets = [max(0, offset - cut) for offset in offsets]
    # Each abbreviation is as long as its word: offsets stay as they are.
    return _LATIN_RUN.sub(_expand_abbreviation, normalized), offsets


def normalize(text: str, expand: bool = True) -> str:
    """Normalised text as the classifier sees it; long messages keep head and tail."""
    normalized = normalize_with_offsets(text, expand)[0].strip()
    if len(normalized) > MAX_HEAD_CHARS + MAX_TAIL_CHARS:
        normalized = normalized[:MAX_HEAD_CHARS] + "……" + normalized[-MAX_TAIL_CHARS:]
    return normalized
