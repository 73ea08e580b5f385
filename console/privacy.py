"""Erasure on request, for supervisors: what /agent/privacy shows (console/routes/privacy.py).

A supervisor (``Agent.role == "supervisor"``) enters the customer's number, checks whom it
names (masked), confirms, and sees what was anonymised and what the law makes the bank keep
(``loandb.erasure``). Agents without the role get a 403; every erasure is in the audit log and
in ``erasures``.
"""

import json
from typing import Any

from sqlalchemy import select

from loandb.models import Agent, Customer, Erasure
from loandb.session import session_scope
from overdue.clock import as_china
from overdue.masking import mask_tail

SUPERVISOR = "supervisor"
COUNT_WORDS = {
    "contact_details": "联系方式（手机号）",
    "wechat_binding": "微信绑定",
    "conversations": "对话",
    "conversation_events": "对话记录条目",
    "tickets": "人工服务工单（摘要、对话编号）",
    "ticket_notes": "工单备注",
    "ticket_transcripts": "工单留存的对话记录",
    "reminders": "提醒记录",
    "conversation_links": "对话与客户的关联",
    "request_reasons": "申请中的客户陈述",
    "sms_outbox_lines": "短信发送记录",
    "satisfaction_ratings": "满意度评价",
    "one_time_codes": "短信验证码记录",
    "identity_failures": "身份核验失败记录",
    "identity_locks": "核验锁定记录",
}


def is_supervisor(agent_id: int) -> bool:
    """The role as the database has it now."""
    with session_scope() as session:
        role = session.execute(select(Agent.role).where(Agent.id == agent_id)).scalar()
    return role == SUPERVISOR


def recent_erasures() -> list[dict[str, Any]]:
    with session_scope() as session:
        rows = (
            session.execute(select(Erasure).order_by(Erasure.id.desc()).limit(20)).scalars().all()
        )
        return [
            {
                "customer_id": row.customer_id,
                "by": row.requested_by,
                "at": as_china(row.at).strftime("%Y-%m-%d %H:%M"),
                "anonymised": json.loads(row.outcome).get("anonymised") or {},
            }
            for row in rows
        ]


def erasure_preview(customer_id: int) -> dict[str, Any] | None:
    """Whom the number names, masked, for the supervisor to check before confirming."""
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        return customer and {
            "id": customer.id,
            "name": customer.name[:1] + "*" * (len(customer.name) - 1),
            "id_tail": mask_tail(customer.id_number),
        }
