"""How a customer answers the satisfaction question (满意度, 1-5) in words: "5", "５分",
"打五分", "非常满意", "一般", "4分，客服很耐心"; and the short replies that mean "nothing to
add". Pure: the dialogue policy and the actions both read replies through here."""

import re
import unicodedata

CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# Longest first, so 非常不满意 is not read as 满意.
SCORE_WORDS = sorted(
    {
        "非常不满意": 1,
        "很不满意": 1,
        "特别不满意": 1,
        "极不满意": 1,
        "非常差": 1,
        "很差": 1,
        "太差了": 1,
        "太差": 1,
        "不太满意": 2,
        "不满意": 2,
        "不怎么样": 2,
        "较差": 2,
        "差": 2,
        "一般般": 3,
        "一般": 3,
        "还行": 3,
        "凑合": 3,
        "马马虎虎": 3,
        "比较满意": 4,
        "满意": 4,
        "挺好的": 4,
        "挺好": 4,
        "还不错": 4,
        "不错": 4,
        "非常满意": 5,
        "很满意": 5,
        "特别满意": 5,
        "十分满意": 5,
        "超级满意": 5,
        "非常好": 5,
        "很好": 5,
        "太好了": 5,
    }.items(),
    key=lambda item: -len(item[0]),
)
_SCORE = re.compile(
    r"^(?:我)?(?:给|打|评)?(?:个)?([1-5一二两三四五])(?:分|星|颗星)?(?![0-9.万千百号月日天期点])"
)
_SEPARATORS = " ，,。.！!；;：:、~～-—"
# Nothing to add: the customer declines to say more.
NOTHING_TO_ADD = {
    "没有",
    "没有了",
    "没了",
    "不用",
    "不用了",
    "算了",
    "无",
    "没",
    "没什么",
    "没什么了",
    "没啥",
    "好",
    "好的",
    "嗯",
    "嗯嗯",
    "行",
    "ok",
    "不说了",
    "就这样",
    "就这样吧",
    "没意见",
    "没有意见",
}


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def rating_in(text: str) -> tuple[int, str] | None:
    """The score a reply gives (1-5) and any words after it, or None when it is no rating
    ("5号还3000", "罚息怎么算" are not)."""
    plain = _plain(text)
    if not plain or len(plain) > 300:
        return None
    found = _SCORE.match(plain)
    if found:
        rest = plain[found.end() :]
        if not rest or rest[0] in _SEPARATORS + "的了吧啊呀":
            return CHINESE_DIGITS.get(found.group(1)) or int(found.group(1)), rest.strip(
                _SEPARATORS + "的了吧啊呀"
            )
    said = plain.lstrip("我")
    for word, score in SCORE_WORDS:
        if said.startswith(word):
            rest = said[len(word) :]
            if rest and rest[0] not in _SEPARATORS + "的了吧啊呀":
                return None  # "一般怎么还款" is no rating
            return score, rest.strip(_SEPARATORS + "的了吧啊呀")
    return None


def nothing_to_add(text: str) -> bool:
    return _plain(text).strip(_SEPARATORS + "谢谢") in NOTHING_TO_ADD or not _plain(text).strip(
        _SEPARATORS
    )
