"""Rule-based entities from a blank Chinese spaCy pipeline, beside DIET's learned ones.

A blank ``zh`` pipeline segments with jieba (with the bank's dictionary) and an
``EntityRuler`` of token patterns finds amounts, dates and loan types in their common
forms, so that DIET missing one never loses it. DIET's entities win where they overlap.
Durations (6个月) and identity digits (尾号8866) are matched too, only so that the
longest-match rule keeps them from being read as amounts. Hardship reasons come from a
lexicon of phrases (they cross jieba's tokens), and ``entity_tidy`` mends the result.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bank_nlu.entity_tidy import overlaps, tidy
from overdue.parsing import parse_amount

EXTRACTOR_NAME = "SpacyEntityRuler"
DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionary"
KEPT_LABELS = {"amount", "date", "loan_type"}

_DIGITS = r"[0-9]+(?:[.,][0-9]+)*"
_CN_DIGITS = "零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟"
NUMBER = {"TEXT": {"REGEX": rf"^(?:{_DIGITS}[kKwW万千]?|[{_CN_DIGITS}]+(?:块钱|块|元|万)?)$"}}
MONEY_UNIT = {"TEXT": {"REGEX": r"^(?:万|千|百|万元|万块|块|块钱|元|钱|多块)$"}, "OP": "*"}
DAY_NUMBER = {"TEXT": {"REGEX": rf"^(?:[0-9]{{1,2}}|[{_CN_DIGITS}]{{1,3}})$"}}
DAY_MARK = {"TEXT": {"IN": ["号", "日"]}}
MONTH_WORD = {"TEXT": {"IN": ["下个月", "下月", "这个月", "本月", "这月"]}, "OP": "?"}

# Found in the text, not among jieba's tokens: 明早就 is 明 + 早就 to jieba, 这个月 is 这个 + 月,
# 今天下午 one token; adjacent pieces are joined by entity_tidy.
DATE_PHRASES = [
    "今天",
    "今日",
    "明天",
    "明日",
    "后天",
    "大后天",
    "月底",
    "月初",
    "月末",
    "年底",
    "本月底",
    "这个月底",
    "下个月底",
    "下月底",
    "下周",
    "下个月",
    "下个星期",
    "周末",
    "这周末",
    "下周末",
    "下星期",
    "下礼拜",
    "这个月",
    "这月",
    "本月",
    "下月初",
    "月中",
    "年后",
    "过两天",
    "这两天",
    "明早",
    "明晚",
    "今晚",
    "今早",
    "昨天",
    "前天",
    "大前天",
    "昨晚",
    "上周",
    "上周末",
    "上个月",
    "上个月底",
    "早上",
    "上午",
    "中午",
    "下午",
    "晚上",
    # Cantonese and northern forms: 听日 tomorrow, 琴日/寻日 yesterday, 月尾 month's end.
    "听日",
    "听朝",
    "琴日",
    "寻日",
    "后日",
    "月尾",
    "下个月尾",
    "下个礼拜",
    "这个礼拜",
    "明儿",
    "明儿个",
    "昨儿",
    "昨儿个",
    "今儿",
    "今儿个",
]
WEEKDAYS = [
    f"{prefix}{week}{day}"
    for prefix in ("", "下", "这", "本", "下个")
    for week in ("周", "星期", "礼拜")
    for day in "一二三四五六日天"
]

LOAN_TYPES = {
    "credit_card": ["信用卡", "卡", "贷记卡", "信用卡账单", "xyk", "creditcard"],
    "consumer": ["消费贷", "邮享贷", "消费贷款", "信用贷"],
    "mortgage": ["房贷", "按揭", "房屋贷款", "住房贷款", "房子贷款"],
    "car": ["车贷", "汽车贷款", "车子贷款"],
    "business": ["经营贷", "经营贷款", "生意贷", "小微贷", "经营性贷款"],
}


def entity_patterns() -> list[dict[str, Any]]:
    patterns: list[dict[str, Any]] = [
        {"label": "amount", "pattern": [NUMBER, MONEY_UNIT]},
        {"label": "amount", "pattern": [NUMBER, NUMBER, MONEY_UNIT]},
        {"label": "date", "pattern": [{"TEXT": {"IN": WEEKDAYS}}]},
        {
            "label": "date",
            "pattern": [{"TEXT": {"IN": ["下", "这", "本"]}}, {"TEXT": {"IN": WEEKDAYS}}],
        },
        {"label": "date", "pattern": [MONTH_WORD, DAY_NUMBER, DAY_MARK]},
        {"label": "date", "pattern": [DAY_NUMBER, {"TEXT": "月"}, DAY_NUMBER, DAY_MARK]},
        {
            "label": "date",
            "pattern": [{"TEXT": {"REGEX": rf"^(?:[0-9]{{1,2}}|[{_CN_DIGITS}]{{1,3}})月份?$"}}],
        },
        {
            "label": "date",
            "pattern": [
                NUMBER,
                {"TEXT": {"IN": ["天", "周"]}},
                {"TEXT": {"IN": ["后", "之后", "以后"]}},
            ],
        },
        {
            "label": "duration",
            "pattern": [NUMBER, {"TEXT": {"IN": ["个", "期"]}}, {"TEXT": "月", "OP": "?"}],
        },
        {
            "label": "duration",
            "pattern": [
                NUMBER,
                {"TEXT": {"IN": ["天", "年", "周", "次", "笔", "期", "个月", "点"]}},
            ],
        },
        {
            "label": "identity",
            "pattern": [
                {
                    "TEXT": {
                        "IN": [
                            "尾号",
                            "后四位",
                            "后4位",
                            "四位",
                            "4位",
                            "号码",
                            "身份证",
                            "手机",
                            "手机号",
                        ]
                    }
                },
                {"TEXT": {"IN": ["是", ":", "为"]}, "OP": "?"},
                {"TEXT": {"REGEX": r"^[0-9]{3}[0-9xX]$"}},
            ],
        },
        {
            "label": "identity",
            "pattern": [{"TEXT": {"REGEX": r"^[0-9]{3}[xX]$|^[0-9]{11,}$|^[0-9]{17}[0-9xX]$"}}],
        },
    ]
    for value, words in LOAN_TYPES.items():
        patterns.append({"label": "loan_type", "id": value, "pattern": [{"LOWER": {"IN": words}}]})
    return patterns


# Why a customer cannot pay, as customers put it; longest first so 生意失败 beats 失败.
HARDSHIP_PHRASES = [
    "失业",
    "下岗",
    "裁员",
    "被裁",
    "辞退",
    "被辞退",
    "被开除",
    "丢了工作",
    "没了工作",
    "没工作",
    "找不到工作",
    "降薪",
    "减薪",
    "降工资",
    "工资被拖欠",
    "拖欠工资",
    "欠薪",
    "工资没发",
    "发不出工资",
    "停工",
    "停产",
    "倒闭",
    "破产",
    "生意失败",
    "生意亏了",
    "生意赔了",
    "亏本",
    "亏损",
    "资金链断",
    "没订单",
    "生病",
    "得病",
    "重病",
    "大病",
    "住院",
    "做手术",
    "手术",
    "癌症",
    "白血病",
    "尿毒症",
    "透析",
    "化疗",
    "中风",
    "脑梗",
    "骨折",
    "受伤",
    "工伤",
    "车祸",
    "出车祸",
    "残疾",
    "生孩子",
    "坐月子",
    "去世",
    "过世",
    "丧事",
    "离婚",
    "疫情",
    "隔离",
    "被隔离",
    "封控",
    "洪水",
    "发洪水",
    "地震",
    "旱灾",
    "天旱",
    "收成不好",
    "减产",
    "冰雹",
    "台风",
    "火灾",
    "被骗",
    "诈骗",
    # Cantonese and colloquial forms.
    "失咗业",
    "冇咗份工",
    "冇工开",
    "炒鱿鱼",
    "被炒",
    "病咗",
    "入咗院",
    "没活干",
    "没活儿干",
]
# (label, value or None for the text itself, phrases)
PHRASES = [
    ("date", None, DATE_PHRASES),
    ("loan_type", "credit_card", ["信用咔", "credit card"]),
    ("hardship_reason", None, HARDSHIP_PHRASES),
]


def _alternation(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(
        "|".join(sorted(map(re.escape, phrases), key=len, reverse=True)), re.IGNORECASE
    )


_PHRASE_PATTERNS = [(label, value, _alternation(phrases)) for label, value, phrases in PHRASES]


def phrase_entities(text: str, label: str) -> list[dict[str, Any]]:
    """Entities of one label found as phrases in the text, longest phrase first."""
    return [
        {
            "entity": label,
            "start": m.start(),
            "end": m.end(),
            "value": value or m[0],
            "extractor": EXTRACTOR_NAME,
        }
        for kind, value, pattern in _PHRASE_PATTERNS
        if kind == label
        for m in pattern.finditer(text)
        if not (label == "date" and _not_a_date(text, m))
    ]


def _not_a_date(text: str, m: re.Match[str]) -> bool:
    """年后 in 三年后 is a span of time; 下午 in 下午好 a greeting."""
    counted = m.start() > 0 and (text[m.start() - 1].isdigit() or text[m.start() - 1] in _CN_DIGITS)
    return counted or text[m.end() : m.end() + 1] == "好"


def build_pipeline():
    """A blank zh pipeline with the jieba segmenter, the bank's words and the ruler."""
    import jieba
    import spacy

    for path in sorted(DICTIONARY_DIR.glob("*.txt")):
        jieba.load_userdict(str(path))
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(entity_patterns())
    return nlp


def rule_entities(nlp, text: str) -> list[dict[str, Any]]:
    """Entities the rules find, with canonical loan-type values."""
    found = []
    for ent in nlp(text).ents:
        if ent.label_ not in KEPT_LABELS:
            continue
        if ent.label_ == "amount" and parse_amount(ent.text) is None:
            continue  # "一" alone, a stray comma: not money
        found.append(
            {
                "entity": ent.label_,
                "start": ent.start_char,
                "end": ent.end_char,
                "value": ent.ent_id_ or ent.text,
                "extractor": EXTRACTOR_NAME,
            }
        )
    for label in ("date", "loan_type"):
        found += [e for e in phrase_entities(text, label) if not any(overlaps(e, f) for f in found)]
    return sorted(found, key=lambda e: e["start"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SpacyEntityRuler(GraphComponent):
    """Adds rule entities that DIET did not find; put it after DIETClassifier."""

    def __init__(self, nlp) -> None:
        self._nlp = nlp

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyEntityRuler:
        return cls(build_pipeline())

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "jieba"]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text:
                continue
            entities = list(message.get(ENTITIES) or [])
            for entity in rule_entities(self._nlp, text):
                overlapping = [e for e in entities if overlaps(entity, e)]
                # A rule's longer span of the same kind replaces DIET's pieces of it
                # (过两天, not 两天).
                if all(
                    e["entity"] == entity["entity"]
                    and entity["start"] <= e["start"]
                    and e["end"] <= entity["end"]
                    for e in overlapping
                ):
                    entities = [e for e in entities if e not in overlapping] + [entity]
            message.set(
                ENTITIES,
                tidy(text, entities, phrase_entities(text, "hardship_reason")),
                add_to_output=True,
            )
        return messages
