"""What the console shows: the queue, a ticket with its customer, and the audit log."""
import json
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.account_snapshot import customer_snapshot
from actions.clock import CHINA, as_china, now_in_china, today_in_china
from actions.masking import mask_numbers, mask_tail
from actions.money import format_yuan
from actions.policy import load_policy
from loandb.models import AuditEntry, Customer, HandoffTicket, ServiceRequest

REASON_WORDS = {
    "self_harm": "自伤风险", "dispute": "对欠款有异议", "complaint": "投诉", "negative_emotion": "情绪激动",
    "not_understood": "机器人无法理解", "identity_failed": "身份核实失败", "refused_remedy": "被拒后仍坚持申请",
    "needs_review": "需人工审核的方案", "customer_request": "客户要求人工",
}


STATUS_WORDS = {"open": "处理中", "resolved": "已结束", "pending_review": "审核中", "active": "已生效"}
KIND_WORDS = {"deferral": "延期申请", "card_installment": "信用卡分期", "negotiated_plan": "协商还款",
              "promise_to_pay": "还款承诺", "penalty_waiver": "罚息减免", "payment_trace": "还款核查"}


def queue(session: Session) -> List[Dict[str, Any]]:
    """Open tickets, most urgent first, then longest waiting."""
    now = now_in_china()
    tickets = session.execute(
        select(HandoffTicket).where(HandoffTicket.status == "open")
        .order_by(HandoffTicket.priority, HandoffTicket.created_at)
    ).scalars()
    rows = []
    for ticket in tickets:
        created = as_china(ticket.created_at)
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        rows.append({
            "id": ticket.id, "priority": ticket.priority, "reason": REASON_WORDS.get(ticket.reason, ticket.reason),
            "channel": ticket.channel, "customer": customer.name if customer else "未核实身份",
            "created_at": created.strftime("%m-%d %H:%M"), "waiting_minutes": int((now - created).total_seconds() // 60),
        })
    return rows


def customer_panel(session: Session, customer: Customer, reveal: Optional[str] = None) -> Dict[str, Any]:
    """The customer's loans, figures, requests and past tickets; numbers masked unless revealed."""
    policy = load_policy()
    loans = [
        {"product": loan.product_name, "tail": loan.account_tail, "overdue": format_yuan(loan.overdue_amount),
         "days_overdue": loan.days_overdue, "charges": format_yuan(loan.charges),
         "minimum_due": format_yuan(loan.minimum_due) if loan.minimum_due is not None else "",
         "reported": "已上报" if loan.reported else "未上报"}
        for loan in customer_snapshot(session, customer.id, today_in_china(), policy)
    ]
    requests = session.execute(
        select(ServiceRequest).where(ServiceRequest.customer_id == customer.id).order_by(ServiceRequest.id.desc())
    ).scalars()
    past = session.execute(
        select(HandoffTicket).where(HandoffTicket.customer_id == customer.id).order_by(HandoffTicket.id.desc())
    ).scalars()
    return {
        "id": customer.id, "name": customer.name,
        "id_number": customer.id_number if reveal == "id" else mask_tail(customer.id_number),
        "phone": customer.phone if reveal == "phone" else mask_tail(customer.phone),
        "loans": loans,
        "requests": [{"reference": r.reference, "kind": KIND_WORDS.get(r.kind, r.kind),
                      "status": STATUS_WORDS.get(r.status, r.status),
                      "amount": format_yuan(r.amount) if r.amount is not None else "",
                      "date": r.target_date.isoformat() if r.target_date else ""} for r in requests],
        "tickets": [{"id": t.id, "reason": REASON_WORDS.get(t.reason, t.reason),
                     "status": STATUS_WORDS.get(t.status, t.status),
                     "created_at": as_china(t.created_at).strftime("%Y-%m-%d %H:%M")} for t in past],
    }


def transcript(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Customer and bot messages with time, and each customer message's intent, confidence and emotion."""
    lines = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        when = datetime.fromtimestamp(event.get("timestamp") or 0, CHINA).strftime("%H:%M:%S")
        relayed = ((event.get("data") or {}).get("custom") or {}).get("data") or {}  # an agent's web chat reply
        text = event.get("text") or relayed.get("text") or ""
        line = {"who": kind, "time": when, "text": mask_numbers(text)}
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            line["intent"] = intent.get("name") or ""
            line["confidence"] = f"{intent.get('confidence') or 0:.2f}"
            line["emotion"] = (parse.get("emotion") or {}).get("score", "")
        else:
            # Rasa puts model ids in every event's metadata; an agent's name is in one of the two.
            line["agent"] = ((event.get("metadata") or {}).get("agent")
                             or (relayed.get("metadata") or {}).get("agent") or "")
        lines.append(line)
    return lines


def ticket_summary(ticket: HandoffTicket) -> Dict[str, Any]:
    return json.loads(ticket.summary or "{}")


def audit(session: Session, agent_id: int, action: str, ticket: Optional[HandoffTicket] = None) -> None:
    session.add(AuditEntry(agent_id=agent_id, action=action, ticket_id=ticket.id if ticket else None,
                           customer_id=ticket.customer_id if ticket else None, at=now_in_china()))
