"""Remedy journeys of the demo customers over REST, against the real servers, with the
records they leave in the loan database."""
import re
import uuid

import pytest
from sqlalchemy import select

from loandb.models import Customer, ServiceRequest
from loandb.session import session_scope

pytestmark = pytest.mark.server

REFERENCE = re.compile(r"YQ\d{8}-\d{6}")


def new_sender() -> str:
    return f"remedy-{uuid.uuid4().hex[:8]}"


def stored(servers, name: str, kind: str) -> list:
    with session_scope(servers.loans_url) as session:
        customer = session.execute(select(Customer).where(Customer.name == name)).scalar_one()
        return list(session.execute(
            select(ServiceRequest).where(ServiceRequest.customer_id == customer.id, ServiceRequest.kind == kind)
        ).scalars())


def test_zhang_wei_splits_his_card_balance_in_six(servers, no_card_plans):
    sender = new_sender()
    servers.say(sender, "我想把信用卡欠款分期")
    replies = servers.verify_replies(sender, "张伟")
    titles = [b["title"] for reply in replies for b in reply.get("buttons", [])]
    assert "6期：每月还2,072.00元，手续费共432.00元" in titles
    assert "12期：每月还1,072.00元，手续费共864.00元" in titles
    summary = servers.texts(sender, "6期")
    assert "2,072.00元" in summary and "432.00元" in summary
    done = servers.texts(sender, "/affirm")
    [record] = stored(servers, "张伟", "card_installment")
    assert record.reference in done and REFERENCE.fullmatch(record.reference)
    again = servers.texts(sender, "我要分期")
    assert record.reference in again
    assert len(stored(servers, "张伟", "card_installment")) == 1


def test_li_na_is_refused_a_deferral_and_offered_a_person(servers):
    sender = new_sender()
    servers.say(sender, "我想申请延期还款")
    answer = servers.verify(sender, "李娜", "452X 5521")
    assert "12个月内已办理过延期" in answer and "转人工" in answer
    assert stored(servers, "李娜", "deferral") == []


def test_wang_qiang_defers_with_a_confirmation(servers):
    sender = new_sender()
    servers.say(sender, "这个月能不能晚点还，想申请延期")
    asked = servers.verify(sender, "王强", "7788 0019")
    assert "原因" in asked
    assert "延期多久" in servers.texts(sender, "生意周转不开")
    summary = servers.texts(sender, "2个月")
    assert "延期2个月" in summary and "尾号5566" in summary
    done = servers.texts(sender, "确认提交")
    [record] = stored(servers, "王强", "deferral")
    assert record.reference in done and record.months == 2 and record.status == "pending_review"


def test_li_na_promises_a_partial_payment(servers):
    sender = new_sender()
    servers.say(sender, "我月底先还两千")
    summary = servers.verify(sender, "李娜", "5521 452X")
    assert "2,000.00元" in summary
    done = servers.texts(sender, "/affirm")
    [record] = stored(servers, "李娜", "promise_to_pay")
    assert record.reference in done and "193.83元" in done and "继续按日计算" in done


def test_a_customer_can_change_their_mind(servers):
    sender = new_sender()
    servers.say(sender, "我想协商还款")
    servers.verify(sender, "王强", "7788 0019")
    cancelled = servers.texts(sender, "算了，不办了")
    assert "先不提交" in cancelled
    assert stored(servers, "王强", "negotiated_plan") == []
