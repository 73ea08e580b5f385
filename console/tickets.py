"""What the console shows: the queue, a ticket with its customer, and the audit log."""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.claims import holder_name
from console.identity_locks import lock_summary
from loandb.models import AuditEntry, Customer, HandoffTicket, ServiceRequest, TicketNote
from loandb.reminder_store import recent_reminders
from loandb.snapshots import customer_snapshot
from overdue.bank_rules import load_bank_rules
from overdue.clock import CHINA, as_china, now_in_china, today_in_china
from overdue.handoff_triggers import EXTERNAL_PREFIX
from overdue.masking import mask_numbers, mask_tail
from overdue.money import format_yuan
from overdue.requests import REQUEST_STATUS_WORDS

REASON_WORDS = {
    "self_harm": "自伤风险",
    "dispute": "对欠款有异议",
    "complaint": "投诉",
    "negative_emotion": "情绪激动",
    "not_understood": "机器人无法理解",
    "identity_failed": "身份核实失败",
    "refused_remedy": "被拒后仍坚持申请",
    "needs_review": "需人工审核的方案",
    "customer_request": "客户要求人工",
}


# A ticket's own statuses, then the statuses of the requests shown beside it.
STATUS_WORDS = {"open": "处理中", "resolved": "已结束", **REQUEST_STATUS_WORDS}
KIND_WORDS = {
    "deferral": "延期申请",
    "card_installment": "信用卡分期",
    "negotiated_plan": "协商还款",
    "promise_to_pay": "还款承诺",
    "penalty_waiver": "罚息减免",
    "payment_trace": "还款核查",
}


REMINDER_STATUS_WORDS = {
    "sending": "发送中",
    "sent": "已发送",
    "waiting": "待客户打开对话",
    "delivered": "已送达",
    "skipped": "未发送",
    "failed": "发送失败",
    "expired": "已撤回",
}
REMINDER_REASON_WORDS = {
    "opted_out": "客户已退订",
    "ticket_open": "人工处理中",
    "promise_pending": "承诺还款日前不提醒",
    "legal_collection": "已进入法律程序",
    "quiet_hours": "夜间免打扰",
    "no_channel": "没有可联系的渠道",
    "send_failed": "多次发送失败",
    "daily_limit": "已达每日上限",
    "weekly_limit": "已达每周上限",
    "customer_chatting": "客户正在对话",
    "paid": "已还款",
    "superseded": "已被新提醒取代",
    "not_opened": "客户未打开对话",
    "rasa_unavailable": "对话服务不可用",
    "wechat_not_configured": "微信未配置",
}
CHANNEL_WORDS = {"wechat": "微信", "socketio": "网页", "rest": "App"}


def reminder_occasion_words(occasion: str, days_from_due: int) -> str:
    if days_from_due < 0:
        return f"还款日前{-days_from_due}天"
    if occasion == "grace_last_day":
        return f"宽限期最后一天（逾期第{days_from_due}天）"
    return f"逾期第{days_from_due}天"


def reminder_rows(session: Session, customer_id: int) -> list[dict[str, Any]]:
    """The customer's latest reminders, sent or not, and why: for the agent, in plain words."""
    rows = []
    for reminder in recent_reminders(session, customer_id):
        reason = reminder.reason or ""
        if reason.startswith("wechat_") and reason not in REMINDER_REASON_WORDS:
            reason_words = f"微信接口错误 {reason[len('wechat_') :]}"
        else:
            reason_words = REMINDER_REASON_WORDS.get(reason, reason)
        rows.append(
            {
                "at": as_china(reminder.decided_at).strftime("%m-%d %H:%M"),
                "occasion": reminder_occasion_words(reminder.occasion, reminder.days_from_due),
                "channel": CHANNEL_WORDS.get(reminder.channel or "", reminder.channel or "—"),
                "status": REMINDER_STATUS_WORDS.get(reminder.status, reminder.status),
                "reason": reason_words,
            }
        )
    return rows


def queue(session: Session) -> list[dict[str, Any]]:
    """Open tickets, most urgent first, then longest waiting."""
    now = now_in_china()
    tickets = session.execute(
        select(HandoffTicket)
        .where(HandoffTicket.status == "open")
        .order_by(HandoffTicket.priority, HandoffTicket.created_at)
    ).scalars()
    rows = []
    for ticket in tickets:
        created = as_china(ticket.created_at)
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        rows.append(
            {
                "id": ticket.id,
                "priority": ticket.priority,
                "reason": REASON_WORDS.get(ticket.reason, ticket.reason),
                "channel": ticket.channel,
                "customer": customer.name if customer else "未核实身份",
                "created_at": created.strftime("%m-%d %H:%M"),
                "waiting_minutes": int((now - created).total_seconds() // 60),
                "holder": holder_name(session, ticket) or "",
            }
        )
    return rows


def customer_panel(
    session: Session, customer: Customer, reveal: str | None = None
) -> dict[str, Any]:
    """The customer's loans, figures, requests and past tickets; numbers masked unless revealed."""
    policy = load_bank_rules()
    loans = [
        {
            "product": loan.product_name,
            "tail": loan.account_tail,
            "overdue": format_yuan(loan.overdue_amount),
            "days_overdue": loan.days_overdue,
            "charges": format_yuan(loan.charges),
            "minimum_due": format_yuan(loan.minimum_due) if loan.minimum_due is not None else "",
            "reported": "已上报" if loan.reported else "未上报",
        }
        for loan in customer_snapshot(session, customer.id, today_in_china(), policy)
    ]
    requests = session.execute(
        select(ServiceRequest)
        .where(ServiceRequest.customer_id == customer.id)
        .order_by(ServiceRequest.id.desc())
    ).scalars()
    past = session.execute(
        select(HandoffTicket)
        .where(HandoffTicket.customer_id == customer.id)
        .order_by(HandoffTicket.id.desc())
    ).scalars()
    return {
        "id": customer.id,
        "name": customer.name,
        "id_number": customer.id_number if reveal == "id" else mask_tail(customer.id_number),
        "phone": customer.phone if reveal == "phone" else mask_tail(customer.phone),
        "loans": loans,
        "requests": [
            {
                "reference": r.reference,
                "kind": KIND_WORDS.get(r.kind, r.kind),
                "status": STATUS_WORDS.get(r.status, r.status),
                "amount": format_yuan(r.amount) if r.amount is not None else "",
                "date": r.target_date.isoformat() if r.target_date else "",
            }
            for r in requests
        ],
        "tickets": [
            {
                "id": t.id,
                "reason": REASON_WORDS.get(t.reason, t.reason),
                "status": STATUS_WORDS.get(t.status, t.status),
                "created_at": as_china(t.created_at).strftime("%Y-%m-%d %H:%M"),
            }
            for t in past
        ],
        "reminders": reminder_rows(session, customer.id),
        "identity_lock": lock_summary(session, customer.id),  # self-service verification locked
    }


def transcript(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """Customer and bot messages with time; each customer message's intent, confidence, emotion."""
    lines = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        when = datetime.fromtimestamp(event.get("timestamp") or 0, CHINA).strftime("%H:%M:%S")
        relayed = ((event.get("data") or {}).get("custom") or {}).get(
            "data"
        ) or {}  # an agent's web chat reply
        text = event.get("text") or relayed.get("text") or ""
        if kind == "user" and text.startswith(EXTERNAL_PREFIX):
            # A reminder the bank sent, not the customer's words; the bot's next line says it.
            lines.append(
                {"who": "bot", "time": when, "text": "（银行主动发送的还款提醒）", "agent": ""}
            )
            continue
        line = {"who": kind, "time": when, "text": mask_numbers(text)}
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            line["intent"] = intent.get("name") or ""
            line["confidence"] = f"{intent.get('confidence') or 0:.2f}"
            line["emotion"] = (parse.get("emotion") or {}).get("score", "")
        else:
            # Rasa puts model ids in every event's metadata; an agent's name is in one of the two.
            line["agent"] = (
                (event.get("metadata") or {}).get("agent")
                or (relayed.get("metadata") or {}).get("agent")
                or ""
            )
        lines.append(line)
    return lines


def ticket_summary(ticket: HandoffTicket) -> dict[str, Any]:
    return json.loads(ticket.summary or "{}")


def ticket_view(session: Session, ticket: HandoffTicket, agent_id: int) -> dict[str, Any]:
    """The ticket as its page shows it to one agent: in words, with its holder and notes."""
    return {
        "id": ticket.id,
        "reason": REASON_WORDS.get(ticket.reason, ticket.reason),
        "priority": ticket.priority,
        "status": ticket.status,
        "status_words": STATUS_WORDS[ticket.status],
        "channel": ticket.channel,
        "holder": holder_name(session, ticket) or "",
        "mine": ticket.claimed_by == agent_id,
        "conversation_id": ticket.conversation_id,
        "summary": ticket_summary(ticket),
        "notes": [
            {"text": n.text, "at": n.created_at.strftime("%m-%d %H:%M")} for n in ticket.notes
        ],
    }


def add_note(session: Session, ticket: HandoffTicket, agent_id: int, text: str) -> None:
    session.add(
        TicketNote(ticket_id=ticket.id, agent_id=agent_id, text=text, created_at=now_in_china())
    )


def mark_resolved(ticket: HandoffTicket, agent_id: int) -> None:
    """Resolved by this agent, now (the route then hands the conversation back to the bot)."""
    ticket.status, ticket.resolved_at, ticket.agent_id = "resolved", now_in_china(), agent_id


def audit(
    session: Session, agent_id: int, action: str, ticket: HandoffTicket | None = None
) -> None:
    session.add(
        AuditEntry(
            agent_id=agent_id,
            action=action,
            ticket_id=ticket.id if ticket else None,
            customer_id=ticket.customer_id if ticket else None,
            at=now_in_china(),
        )
    )
