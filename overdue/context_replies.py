"""Short replies that only make sense in context: a yes or no inside a confirmation, a value
for the question a form just asked, "为什么" right after a refusal or a figure, and "还有别的
办法吗" / "有没有便宜点的".

Pure functions of the message text, shared by the dialogue policy (which decides that the
message answers the question, whatever the classifier's top intent) and the actions (which
read the answer). Knows nothing of Rasa.
"""

import re
import unicodedata
from datetime import date

from overdue.parsing import COUNT, parse_amount, parse_count, parse_date

# Courtesy, particles and punctuation around a short answer: they change nothing.
_FILLER = re.compile(
    r"[\s，,。.！!？?~～…、；;：:\"'“”‘’()（）]|"
    r"嗯+|恩+|呃+|额+|哦+|噢+|啊+|呀+|吧+|哈+|呢+|啦+|嘛+|咯+|了+|的+|哎+|唉+|诶+|"
    r"那个|就是|这个|我看|我觉得|还是|那就|那|就|先|吧|谢谢|麻烦了|客服"
)

# A clear no to the plan on the table, including the reasons customers give for it.
_NO = re.compile(
    r"不接受|接受不了|不能接受|不同意|不认可|不想(办|分期|弄|要|延期|申请|提交|确认)|不(要|用|办|行|需要|确认|提交|申请)|"
    r"太贵|贵了|好贵|有点贵|太高|手续费(太|好|有点)?(高|多)|不划算|不值|划不来|负担不起|承受不了|付不起|还不起这么多|"
    r"取消|算了|拉倒|不弄了|不了|不是|否|no\b|nope|不好|别办|别提交|先不|暂时不|暂不|"
    r"有没有便宜|便宜点|便宜一点|还有(没有)?(别的|其他|其它)"
)
_YES = re.compile(
    r"^(是|是的|对|对的|好|好的|行|可以|确认|确定|没问题|同意|ok|okay|嗯嗯|就这样|就这个|办吧|办理|提交|确认提交|"
    r"确认办理|这样|这个|可以办|没错|要|要的|接受|yes|y)+$"
)
# Words of self-harm or anger are never "a no to the plan": the handoff rules see them first.
_NOT_AN_ANSWER = re.compile(r"想死|不想活|活不下去|自杀|跳楼|投诉|报警|起诉你们|转人工|人工")

_WHY = re.compile(
    r"为什么|为啥|为何|凭什么|咋不行|怎么不行|怎么就不行|怎么会这样|why", re.IGNORECASE
)
_WHY_REST = re.compile(
    r"为什么|为啥|为何|凭什么|咋|怎么就?|why|不行|不可以|不能|不给|不让|办不了|会这样|这样|是这样|"
    r"要收|还要收|收这么多|这么多|这么贵|还会|还是|还|呢|啊|呀|吗|嘛|那|可是|但是|请问|我|是|会|要|收|多",
    re.IGNORECASE,
)
_OPTIONS = re.compile(
    r"(还有|有没有|有无|有啥|有什么)(没有)?(别的|其他|其它|什么|更好|更便宜|便宜|划算|省钱|轻松)(点|一点|些)?的?"
    r"(办法|方法|方案|选择|路子|途径|招|出路)?|"
    r"便宜(点|一点|些)|更便宜|其他(办法|方案|选择)|别的(办法|方案|选择)|还能怎么办|我该怎么办|那怎么办|怎么办才好|"
    r"有什么办法|有啥办法|有办法吗"
)
MAX_SHORT = 30  # longer messages are a new story, for the classifier


def _compact(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def _rest(text: str, *patterns: re.Pattern) -> str:
    """What is left of the message once the given words and the filler are taken out."""
    rest = _compact(text)
    for pattern in patterns:
        rest = pattern.sub("", rest)
    return _FILLER.sub("", rest)


def yes_or_no(text: str) -> bool | None:
    """True for a clear yes, False for a clear no (不接受 / 太贵了 / 不想分期), else None."""
    compact = _compact(text)
    if not compact or len(compact) > MAX_SHORT or _NOT_AN_ANSWER.search(compact) or asks_why(text):
        return None
    if _NO.search(compact):
        return False
    if _YES.match(_FILLER.sub("", compact) or "-"):
        return True
    return None


_REASON = re.compile(
    r"贵|手续费|划算|不值|划不来|负担|承受|付不起|还不起|不接受|接受不了|不能接受|不同意|不认可|不想(分期|办|延期)"
)


def declines_with_reason(text: str) -> bool:
    """A no that says what is wrong with the plan, or asks for another: offer the options."""
    return yes_or_no(text) is False and (
        bool(_REASON.search(_compact(text))) or asks_for_options(text)
    )


def asks_why(text: str) -> bool:
    """ "为什么" / "为什么不行" / "凭什么收这么多" on its own, asking for the rule behind an
    answer."""
    compact = _compact(text)
    if not compact or len(compact) > MAX_SHORT or not _WHY.search(compact):
        return False
    return len(_rest(compact, _WHY_REST)) <= 4


def asks_for_options(text: str) -> bool:
    """ "还有别的办法吗" / "有没有便宜点的": what else this customer can do."""
    compact = _compact(text)
    return bool(compact) and len(compact) <= MAX_SHORT and bool(_OPTIONS.search(compact))


def _months_in(text: str) -> int | None:
    match = re.search(rf"({COUNT})\s*(?:个)?\s*(?:月|期)", _compact(text))
    if match:
        return parse_count(match.group(1))
    bare = re.fullmatch(rf"({COUNT})", _FILLER.sub("", _compact(text)))
    return parse_count(bare.group(1)) if bare else None


_VALUE_WORDS = re.compile(
    r"[0-9]+(\.[0-9]+)?|[零〇一二两三四五六七八九十百千万]+|个月|个|月|期|元|块钱|块|w|k|"
    r"就行|就好|可以|行|好|吧|选|要|每月|每个月|一个月|大概|大约|左右|能还|还|号|日|天|下周|这周|周|礼拜|星期|"
    r"下个|下|这|本|月底|月初|明天|后天|今天|大后天|中旬|底|初"
)


def answers_question(slot: str, text: str, today: date) -> bool:
    """Whether a short message is a value for the form question asking for ``slot``
    (the form's own validation then checks it): "三个月就行" for the months of a deferral,
    "每月两千" for what a customer can afford, "下周五" for a promise's date."""
    compact = _compact(text)
    if not compact or len(compact) > MAX_SHORT or _NOT_AN_ANSWER.search(compact):
        return False
    if slot == "confirmation":
        return yes_or_no(text) is not None
    if len(_rest(compact, _VALUE_WORDS)) > 3:
        return False  # more than a value: a new question or a story
    if slot in ("deferral_months", "installment_term"):
        return _months_in(text) is not None
    if slot in ("affordable_amount", "promise_amount", "payment_amount"):
        return parse_amount(text) is not None
    if slot in ("promise_date", "payment_date"):
        return parse_date(text, today) is not None
    return False
