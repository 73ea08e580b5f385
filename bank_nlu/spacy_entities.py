"""Rule-based entities from a blank Chinese spaCy pipeline, beside DIET's learned ones.

A blank ``zh`` pipeline segments with jieba (with the bank's dictionary) and an
``EntityRuler`` of token patterns finds amounts, dates and loan types in their common
forms, so that DIET missing one never loses it. DIET's entities win where they overlap.
Durations (6个月) and identity digits (尾号8866) are matched too, only so that the
longest-match rule keeps them from being read as amounts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.parsing import parse_amount

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

RELATIVE_DAYS = [
    "今天", "今日", "明天", "明日", "后天", "大后天", "月底", "月初", "月末", "年底", "本月底",
    "这个月底", "下个月底", "下月底", "下周", "下个月", "下个星期", "周末", "这周末", "下周末",
]
WEEKDAYS = [
    f"{prefix}{week}{day}"
    for prefix in ("", "下", "这", "本", "下个")
    for week in ("周", "星期", "礼拜")
    for day in "一二三四五六日天"
]

LOAN_TYPES = {
    "credit_card": ["信用卡", "卡", "贷记卡", "信用卡账单", "xyk"],
    "consumer": ["消费贷", "邮享贷", "消费贷款", "信用贷"],
    "mortgage": ["房贷", "按揭", "房屋贷款", "住房贷款", "房子贷款"],
    "car": ["车贷", "汽车贷款", "车子贷款"],
    "business": ["经营贷", "经营贷款", "生意贷", "小微贷", "经营性贷款"],
}


def entity_patterns() -> List[Dict[str, Any]]:
    patterns: List[Dict[str, Any]] = [
        {"label": "amount", "pattern": [NUMBER, MONEY_UNIT]},
        {"label": "amount", "pattern": [NUMBER, NUMBER, MONEY_UNIT]},
        {"label": "date", "pattern": [{"TEXT": {"IN": RELATIVE_DAYS + WEEKDAYS}}]},
        {"label": "date", "pattern": [{"TEXT": {"IN": ["下", "这", "本"]}}, {"TEXT": {"IN": WEEKDAYS}}]},
        {"label": "date", "pattern": [MONTH_WORD, DAY_NUMBER, DAY_MARK]},
        {"label": "date", "pattern": [DAY_NUMBER, {"TEXT": "月"}, DAY_NUMBER, DAY_MARK]},
        {"label": "date", "pattern": [NUMBER, {"TEXT": {"IN": ["天", "周"]}}, {"TEXT": {"IN": ["后", "之后", "以后"]}}]},
        {"label": "duration", "pattern": [NUMBER, {"TEXT": {"IN": ["个", "期"]}}, {"TEXT": "月", "OP": "?"}]},
        {"label": "duration", "pattern": [NUMBER, {"TEXT": {"IN": ["天", "年", "周", "次", "笔", "期", "个月", "点"]}}]},
        {"label": "identity", "pattern": [
            {"TEXT": {"IN": ["尾号", "后四位", "后4位", "四位", "4位", "号码", "身份证", "手机", "手机号"]}},
            {"TEXT": {"IN": ["是", ":", "为"]}, "OP": "?"},
            {"TEXT": {"REGEX": r"^[0-9]{3}[0-9xX]$"}},
        ]},
        {"label": "identity", "pattern": [{"TEXT": {"REGEX": r"^[0-9]{3}[xX]$|^[0-9]{11,}$|^[0-9]{17}[0-9xX]$"}}]},
    ]
    for value, words in LOAN_TYPES.items():
        patterns.append({"label": "loan_type", "id": value, "pattern": [{"LOWER": {"IN": words}}]})
    return patterns


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


def _overlaps(start: int, end: int, entities: List[Dict[str, Any]]) -> bool:
    return any(start < other["end"] and other["start"] < end for other in entities)


def rule_entities(nlp, text: str) -> List[Dict[str, Any]]:
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
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SpacyEntityRuler(GraphComponent):
    """Adds rule entities that DIET did not find; put it after DIETClassifier."""

    def __init__(self, nlp) -> None:
        self._nlp = nlp

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SpacyEntityRuler":
        return cls(build_pipeline())

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "jieba"]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            if not text:
                continue
            entities = list(message.get(ENTITIES) or [])
            for entity in rule_entities(self._nlp, text):
                if not _overlaps(entity["start"], entity["end"], entities):
                    entities.append(entity)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
