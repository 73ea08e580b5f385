"""A ticket's transcript as a PDF: GET /agent/tickets/{id}/transcript.pdf.

Chinese is set in reportlab's built-in CID font STSong-Light (no font file to ship; PDF
readers supply the glyphs). The header names the ticket, the customer (numbers masked), the
channel, the agent and the times; then every message with its time, sender, intent and
emotion. The kept transcript for a resolved ticket, else the live one from Rasa. Each
export is in the audit log. The route is in console/routes/export.py.
"""

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from console.tickets import CHANNEL_WORDS, REASON_WORDS, STATUS_WORDS
from console.transcripts import SENDER_WORDS
from loandb.models import Agent, Customer, HandoffTicket
from loandb.transcripts import kept_messages
from overdue.clock import as_china, now_in_china
from overdue.masking import mask_tail

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=15, leading=20, spaceAfter=6)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
META = ParagraphStyle(
    "meta", parent=BODY, fontSize=8, leading=11, textColor=colors.HexColor("#555555")
)


def _when(moment) -> str:
    return as_china(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def transcript_pdf(header: dict[str, str], messages: list[dict[str, Any]]) -> bytes:
    """The PDF: a header table, then one paragraph per message."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=header["title"],
        author="邮储银行坐席工作台",
    )
    story: list[Any] = [Paragraph(escape(header["title"]), TITLE)]
    table = Table(
        [
            [Paragraph(escape(key), META), Paragraph(escape(value), BODY)]
            for key, value in header.items()
            if key != "title"
        ],
        colWidths=[28 * mm, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cccccc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    if not messages:
        story.append(Paragraph("（没有可导出的对话记录）", BODY))
    for message in messages:
        who = SENDER_WORDS.get(message["sender"], message["sender"])
        if message.get("agent"):
            who = f"{who} {message['agent']}"
        details = [message["at"].replace("T", " ")[:19], who]
        if message["sender"] == "customer":
            details.append(f"意图 {message.get('intent') or '—'}")
            if message.get("emotion") is not None:
                details.append(f"情绪 {message['emotion']}")
        story += [
            Paragraph(escape("  ".join(details)), META),
            Paragraph(escape(message["text"] or "").replace("\n", "<br/>"), BODY),
            Spacer(1, 2 * mm),
        ]
    document.build(story)
    return buffer.getvalue()


def ticket_export(session: Session, ticket: HandoffTicket) -> dict[str, Any]:
    """The PDF's header, the kept messages (None while the ticket is open) and the conversation."""
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    resolver = session.get(Agent, ticket.agent_id) if ticket.agent_id else None
    return {
        "conversation_id": ticket.conversation_id,
        "messages": kept_messages(session, ticket.id),
        "header": {
            "title": f"人工服务工单 #{ticket.id} 对话记录",
            "工单": f"#{ticket.id}，{REASON_WORDS.get(ticket.reason, ticket.reason)}，"
            f"优先级 {ticket.priority}，{STATUS_WORDS.get(ticket.status, ticket.status)}",
            "客户": (
                f"{customer.name}（身份证 {mask_tail(customer.id_number)}，"
                f"手机 {mask_tail(customer.phone)}）"
                if customer
                else "未核实身份"
            ),
            "渠道": CHANNEL_WORDS.get(ticket.channel, ticket.channel),
            "处理坐席": resolver.display_name if resolver else "—",
            "时间": f"转人工 {_when(ticket.created_at)}，结束 {_when(ticket.resolved_at)}",
            "导出": f"{_when(now_in_china())}（北京时间）",
        },
    }
