"""What an erasure on request (个人信息保护法 第47条) takes away, and what the bank must keep
by law and therefore keeps (第47条第2款: then only stored, protected, not otherwise used).
Pure: loandb/erasure.py carries it out and lists ``KEPT_BY_LAW`` in every outcome."""

import json
import secrets
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeptRecord:
    what: str  # in the words an agent and the customer read
    where: str  # the tables, for the operator
    why: str  # the rule that requires it


KEPT_BY_LAW: tuple[KeptRecord, ...] = (
    KeptRecord(
        "借款人身份（姓名、身份证号）与贷款合同、账户",
        "customers.name, customers.id_number, loan_accounts",
        "《金融机构客户身份识别和客户身份资料及交易记录保存管理办法》：客户身份资料在业务关系结束后至少保存5年",
    ),
    KeptRecord(
        "还款计划、还款记录、展期记录与征信报送状态",
        "repayment_schedule, payments, deferrals, credit_report_status",
        "交易记录在交易结束后至少保存5年；《征信业管理条例》：不良信息自终止之日起保存5年",
    ),
    KeptRecord(
        "已提交的业务申请（延期、分期、协商还款、还款承诺）的条款，不含客户陈述的原因",
        "service_requests (reason and conversation cleared)",
        "合同变更与还款安排属于交易记录",
    ),
    KeptRecord(
        "坐席查看与操作的审计记录",
        "audit_log, erasures",
        "银行对客户信息访问的留痕义务，也证明本次删除已执行",
    ),
)

# What takes the place of erased words, and of an erased conversation's id (a WeChat
# conversation's id is the customer's openid).
ERASED_TEXT = "[已删除]"
ERASED_SUMMARY = "{}"
ERASED_PHONE = ""


def erased_conversation_id() -> str:
    """A new id for an erased conversation: random, so it leads back to no one."""
    return f"erased-{secrets.token_hex(8)}"


def is_erased_conversation(conversation_id: str) -> bool:
    return conversation_id.startswith("erased-")


def outbox_line_mentions(line: str, phone: str, customer_id: int) -> bool:
    """An SMS outbox record (one JSON object a line) sent to this customer."""
    try:
        record: dict[str, Any] = json.loads(line)
    except ValueError:
        return bool(phone) and phone in line
    if not isinstance(record, dict):
        return False
    if phone and any(
        str(record.get(key) or "") == phone for key in ("phone", "to", "mobile", "phone_number")
    ):
        return True
    return record.get("customer_id") == customer_id


def kept_list() -> list[dict[str, str]]:
    return [{"what": kept.what, "where": kept.where, "why": kept.why} for kept in KEPT_BY_LAW]
