"""Corrections to the entities DIET and the rules found, before the actions read them.

Each rule mends a mistake seen on real messages:
- 下周一定还 is "next week, surely", not next Monday (overdue/parsing.py reads the text alike);
- DIET sometimes takes money for a date (早上转了3000 -> date "3000");
- one date or sum found in two pieces (3月 + 20号, 5 + 千) is one;
- a number without a unit is money only where money is spoken of: 打12378投诉 is a hotline,
  身份证后4位 0019 an ID, 886 a goodbye;
- 卡 in 存进卡里 / 还款卡 is the debit card the money comes from, not the card owed;
- a hardship reason is the lexicon's phrase where it found one, not DIET's fragments (公司, 裁).
"""

from __future__ import annotations

import re
from typing import Any

from overdue.parsing import parse_amount

Entity = dict[str, Any]

_MERGED_LABELS = {"date", "amount"}
_DATE_MARK = re.compile(r"[号日月天周年底初中后前晚早午点星期礼拜今明昨内]")
_UNIT_AFTER = re.compile(r"多?[wW万千kK]?多?(?:块钱|块|元)?")
_HAS_UNIT = re.compile(r"[wW万千百kK块元钱]")
# Money verbs near a bare number: 还500, 转了3000, 多扣的那150, 4800还上.
_MONEY_BEFORE = re.compile(
    r"(?:还|转|存|欠|扣|罚|付|交|缴|补|凑|借|给|差|剩)[^，,。.!！?？\s]{0,3}\s*$"
)
_MONEY_AFTER = re.compile(r"\s*(?:块|元|还|转|存|交|缴|付|补)")
_NOT_TEXT = re.compile(r"[\s,，.。!！?？~～、吧呢啊哦]+")
_DEBIT_CARD_BEFORE = re.compile(
    r"(?:还款|储蓄|借记|工资|银行|存进|存到|存入|转进|转到|转入|绑定|绑|打到|打进)$"
)


def overlaps(one: Entity, other: Entity) -> bool:
    return one["start"] < other["end"] and other["start"] < one["end"]


def _span(text: str, entity: Entity, start: int, end: int) -> Entity:
    return {**entity, "start": start, "end": end, "value": text[start:end]}


def _yiding(text: str, entity: Entity) -> Entity:
    start, end = entity["start"], entity["end"]
    if (
        entity["entity"] == "date"
        and end - start > 1
        and text[end - 1] == "一"
        and text[end : end + 1] == "定"
    ):
        return _span(text, entity, start, end - 1)
    return entity


def _money_not_date(text: str, entity: Entity) -> Entity:
    """Its unit (1.2 -> 1.2w) is taken in by _with_unit."""
    span = text[entity["start"] : entity["end"]]
    if entity["entity"] != "date" or _DATE_MARK.search(span) or parse_amount(span) is None:
        return entity
    return {**entity, "entity": "amount"}


def _with_unit(text: str, entity: Entity) -> Entity:
    """80 in 罚了80多, 5 in 5千块: the sum the customer wrote, unit included."""
    if entity["entity"] != "amount":
        return entity
    end = entity["end"] + len(_UNIT_AFTER.match(text, entity["end"])[0])
    return (
        _span(text, entity, entity["start"], end)
        if parse_amount(text[entity["start"] : end])
        else entity
    )


def _merge_adjacent(text: str, entities: list[Entity]) -> list[Entity]:
    merged: list[Entity] = []
    for entity in sorted(entities, key=lambda e: e["start"]):
        last = merged[-1] if merged else None
        if (
            last
            and entity["entity"] == last["entity"] in _MERGED_LABELS
            and entity["start"] == last["end"]
        ):
            merged[-1] = _span(text, last, last["start"], entity["end"])
        else:
            merged.append(entity)
    return merged


def _is_money(text: str, entity: Entity) -> bool:
    span = text[entity["start"] : entity["end"]]
    if (
        entity["entity"] != "amount"
        or _HAS_UNIT.search(span)
        or _HAS_UNIT.match(text, entity["end"])
    ):
        return True
    rest = _NOT_TEXT.sub("", text[: entity["start"]] + text[entity["end"] :])
    return (
        len(rest) <= 1
        or bool(_MONEY_BEFORE.search(text[max(0, entity["start"] - 5) : entity["start"]]))
        or bool(_MONEY_AFTER.match(text, entity["end"]))
    )


def _owed_card(text: str, entity: Entity) -> bool:
    if entity["entity"] != "loan_type" or text[entity["start"] : entity["end"]] != "卡":
        return True
    return (
        not _DEBIT_CARD_BEFORE.search(text[: entity["start"]])
        and text[entity["end"] : entity["end"] + 1] != "号"
    )


def _hardship(entities: list[Entity], lexicon: list[Entity]) -> list[Entity]:
    if not lexicon:  # DIET alone: keep its phrases, not its single characters
        return [
            e for e in entities if e["entity"] != "hardship_reason" or e["end"] - e["start"] > 1
        ]
    others = [
        e
        for e in entities
        if e["entity"] != "hardship_reason" and not any(overlaps(e, h) for h in lexicon)
    ]
    return others + lexicon


def tidy(text: str, entities: list[Entity], hardship_lexicon: list[Entity]) -> list[Entity]:
    """The entities of ``text`` mended; ``hardship_lexicon`` are the rules' hardship reasons."""
    entities = [_money_not_date(text, _yiding(text, e)) for e in entities]
    entities = [_with_unit(text, e) for e in _merge_adjacent(text, entities)]
    entities = [e for e in entities if _is_money(text, e) and _owed_card(text, e)]
    return sorted(_hardship(entities, hardship_lexicon), key=lambda e: e["start"])
