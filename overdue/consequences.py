"""What happens if a customer cannot or does not pay, answered from the bank's knowledge file
(``consequences.yml``, or the path in ``LOAN_CONSEQUENCES_PATH``) and fitted to the customer's
own account: how many days overdue against the stages that matter (the grace period and the
credit report, the months and amount of 恶意透支, legal collection).

Pure: the account comes in as figures (``LoanSnapshot`` or anything with its fields), facts
with their sources go out. Knows nothing of Rasa or the database.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from overdue.bank_rules import BankRules
from overdue.clock import add_months, format_day
from overdue.money import format_yuan, to_cents
from settings import current

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "consequences.yml"
CARD = "credit_card"
LOAN = "loan"


@dataclass(frozen=True)
class Fact:
    text: str
    source: str
    applies_to: str | None = None  # credit_card, loan, or every account

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "Fact":
        return cls(str(raw["text"]).strip(), str(raw["source"]).strip(), raw.get("applies_to"))


@dataclass(frozen=True)
class Topic:
    name: str
    words: tuple[str, ...]
    general: tuple[Fact, ...]
    personal: dict[str, Fact]


@dataclass(frozen=True)
class Knowledge:
    line_months: int
    line_amount: Decimal
    stages_source: str
    topics: dict[str, Topic]
    general_topics: tuple[str, ...]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "Knowledge":
        topics = {
            name: Topic(
                name=name,
                words=tuple(str(w) for w in body.get("words") or ()),
                general=tuple(Fact.from_dict(f) for f in body.get("general") or ()),
                personal={
                    stage: Fact.from_dict(f) for stage, f in (body.get("personal") or {}).items()
                },
            )
            for name, body in raw["topics"].items()
        }
        stages = raw["stages"]
        return cls(
            line_months=int(stages["malicious_overdraft_months"]),
            line_amount=to_cents(str(stages["malicious_overdraft_amount"])),
            stages_source=str(stages["source"]),
            topics=topics,
            general_topics=tuple(raw["general_topics"]),
        )

    def facts(self) -> list[Fact]:
        """Every fact in the file, for checking that each has a source."""
        return [
            fact
            for topic in self.topics.values()
            for fact in (*topic.general, *topic.personal.values())
        ]


@lru_cache(maxsize=4)
def _load(path: str) -> Knowledge:
    with open(path, encoding="utf-8") as handle:
        return Knowledge.from_dict(yaml.safe_load(handle))


def load_knowledge(path: str | None = None) -> Knowledge:
    """The knowledge file in force; read once per path."""
    return _load(path or str(current().loan_consequences_path))


def topics_asked(text: str, knowledge: Knowledge) -> list[str]:
    """The topics a question names (in the file's order); the general ones when it names none."""
    lowered = (text or "").lower()
    named = [
        name
        for name, topic in knowledge.topics.items()
        if any(w.lower() in lowered for w in topic.words)
    ]
    return named or list(knowledge.general_topics)


# Collection that breaks the rules, described as happening (not asked about as a possibility).
_HAPPENED = re.compile(
    r"已经|天天|每天|一直|老是|总是|昨天|前天|今天|刚才|刚刚|昨晚|前几天|这几天|又|还(打|发|骂|上门)|打了|打过|发了|来了|找了|说要"
)
_THIRD_PARTY = re.compile(
    r"家人|家里人|父母|爸妈|爸|妈|老婆|老公|妻子|丈夫|孩子|亲戚|朋友|同事|领导|单位|公司|通讯录|联系人|邻居|村委会"
)
_CONTACTED = re.compile(r"打电话|打给|打到|打我|联系|发短信|发信息|找|上门|骚扰|告诉")
_ABUSE = re.compile(
    r"威胁|恐吓|辱骂|骂我|骂人|骂他|骂她|爆通讯录|爆我通讯录|暴力催收|P图|p图|堵门|泼油漆|半夜|深夜|凌晨|晚上(十|11|12|十一|十二)点"
)


def describes_misconduct(text: str) -> bool:
    """The customer tells of collection that breaks the rules: threats, abuse, calls to people
    who owe nothing, visits at night. That is a complaint, for a person, with priority."""
    text = text or ""
    if _ABUSE.search(text) and (
        _HAPPENED.search(text) or not re.search(r"会不会|会吗|吗[？?]*$|是不是", text)
    ):
        return True
    return bool(_HAPPENED.search(text) and _THIRD_PARTY.search(text) and _CONTACTED.search(text))


def _amount_words(amount: Decimal) -> str:
    """50000 -> '5万元' (as the law writes it), otherwise the bank's usual form."""
    if amount >= 10000 and amount % 10000 == 0:
        return f"{int(amount // 10000)}万元"
    return format_yuan(amount)


def _is_card(loan: Any) -> bool:
    return loan.kind == CARD


def stage(
    topic: str, loan: Any, today: date, policy: BankRules, knowledge: Knowledge
) -> str | None:
    """Where this overdue account stands for the topic: the key of a personal fact, if any."""
    if topic in ("lawsuit", "travel_limits"):
        return "in_legal_collection" if loan.in_legal_collection else "not_in_legal_collection"
    if topic == "criminal":
        if not _is_card(loan):
            return "loan_civil"
        past_months = (
            loan.earliest_due_date is not None
            and add_months(loan.earliest_due_date, knowledge.line_months) < today
        )
        return (
            "card_past_months"
            if past_months or loan.overdue_amount >= knowledge.line_amount
            else "card_below_lines"
        )
    if topic == "credit_report":
        return "in_grace" if loan.in_grace else "reported" if loan.reported else None
    return None


def _values(loan: Any, policy: BankRules, knowledge: Knowledge) -> dict[str, Any]:
    values: dict[str, Any] = {
        "grace_days": policy.grace_period_days,
        "retention_years": policy.record_retention_years,
        "line_months": knowledge.line_months,
        "line_amount": _amount_words(knowledge.line_amount),
    }
    if loan is not None:
        values.update(
            product_name=loan.product_name,
            account_tail=loan.account_tail,
            days_overdue=loan.days_overdue,
            overdue_amount=format_yuan(loan.overdue_amount),
            grace_period_end=format_day(loan.grace_period_end),
        )
    return values


@dataclass(frozen=True)
class Said:
    """A fact as the customer reads it, with its source."""

    text: str
    source: str
    general: bool


def answer(
    text: str, loans: Sequence[Any] | None, today: date, policy: BankRules, knowledge: Knowledge
) -> list[Said]:
    """The facts that answer the question. ``loans`` None: not verified, the general rule only
    (no account fact); otherwise the general facts for the customer's kinds of account, then
    each overdue account's own stage."""
    topics = topics_asked(text, knowledge)
    overdue = [loan for loan in loans or () if loan.is_overdue]
    kinds = {CARD if _is_card(loan) else LOAN for loan in overdue}
    general_values = _values(None, policy, knowledge)
    said: list[Said] = []
    for name in topics:
        topic = knowledge.topics[name]
        for fact in topic.general:
            if loans is not None and kinds and fact.applies_to and fact.applies_to not in kinds:
                continue
            said.append(Said(fact.text.format(**general_values), fact.source, True))
        if loans is None:
            continue
        for loan in overdue:
            key = stage(name, loan, today, policy, knowledge)
            fact = topic.personal.get(key) if key else None
            if fact is not None:
                said.append(
                    Said(fact.text.format(**_values(loan, policy, knowledge)), fact.source, False)
                )
    return said
