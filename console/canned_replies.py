"""常用语: canned replies from canned_replies.yml (beside policy.yml), with the customer's
name, amount owed and earliest due date filled in from the loan database, searchable by
keyword. GET /agent/api/tickets/{id}/canned-replies?q=罚息 answers them as JSON for the
ticket page's reply box (console/routes/canned_replies.py)."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from loandb.models import Customer, HandoffTicket
from loandb.session import session_scope
from loandb.snapshots import customer_snapshot
from overdue.bank_rules import load_bank_rules
from overdue.clock import today_in_china
from overdue.money import format_yuan
from settings import current

FILE_NAME = "canned_replies.yml"
# What each placeholder says while the customer is not verified (the agent fills it in).
PLACEHOLDERS = {"name": "〔客户姓名〕", "amount_owed": "〔欠款金额〕", "due_date": "〔还款日〕"}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


@dataclass(frozen=True)
class CannedReply:
    title: str
    keywords: tuple[str, ...]
    text: str

    def matches(self, words: str) -> bool:
        words = words.strip().lower()
        return not words or any(
            words in part.lower() for part in (self.title, self.text, *self.keywords)
        )


def replies_path() -> Path:
    """Beside the policy file in force."""
    return Path(current().loan_policy_path).resolve().parent / FILE_NAME


@lru_cache(maxsize=4)
def _load(path: str, modified: float) -> tuple[CannedReply, ...]:
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return tuple(
        CannedReply(str(r["title"]), tuple(str(k) for k in r.get("keywords") or ()), str(r["text"]))
        for r in raw.get("replies") or []
    )


def load_canned_replies(path: Path | None = None) -> tuple[CannedReply, ...]:
    """Read again when the file changes, so a supervisor's edit shows without a restart."""
    path = path or replies_path()
    return _load(str(path), path.stat().st_mtime)


def fill(text: str, figures: dict[str, str]) -> str:
    """Only the known placeholders are replaced: the file is no template language."""
    return _PLACEHOLDER.sub(lambda m: figures.get(m.group(1)) or PLACEHOLDERS[m.group(1)], text)


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def customer_figures(session: Session, customer_id: int | None, today: date) -> dict[str, str]:
    """The customer's name, what is owed in all (overdue plus charges) and the earliest due date."""
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        return {}
    loans = [
        loan
        for loan in customer_snapshot(session, customer.id, today, load_bank_rules())
        if loan.overdue_amount
    ]
    figures = {"name": customer.name}
    if loans:
        figures["amount_owed"] = format_yuan(
            sum((loan.overdue_amount + loan.charges for loan in loans), Decimal("0"))
        )
        due = [loan.earliest_due_date for loan in loans if loan.earliest_due_date]
        if due:
            figures["due_date"] = _chinese_date(min(due))
    return figures


def ticket_replies(ticket_id: int, words: str) -> list[dict[str, Any]] | None:
    """The replies matching ``words``, filled in for the ticket's customer; None: no such ticket."""
    with session_scope() as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            return None
        figures = customer_figures(session, ticket.customer_id, today_in_china())
    return [
        {"title": reply.title, "keywords": list(reply.keywords), "text": fill(reply.text, figures)}
        for reply in load_canned_replies()
        if reply.matches(words)
    ]
