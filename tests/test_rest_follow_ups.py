"""What overdue customers ask beyond the figures, over REST (and WeChat) against the real
servers, for each demo customer: consequences, what-if figures to the cent, "为什么" after a
refusal or a figure, other options, a "no, too expensive" inside a confirmation, and the
greeting's quick replies. Expected figures are worked out here from the policy's rates."""
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from overdue.clock import add_months, format_day
from overdue.parsing import parse_date
from channels.payload_guard import allowed_payloads
from launcher import ROOT
from loandb.models import Customer, HandoffTicket, ServiceRequest
from loandb.session import session_scope
from tests.test_wechat import SafeModeClient, event_xml

pytestmark = pytest.mark.server

GREETING = ["查欠款", "罚息和征信", "申请延期或分期", "还款方式", "转人工"]
RATE = {"李娜": Decimal("0.0435"), "王强": Decimal("0.0385")}
CARD_DAILY, LATE_FEE, MULTIPLIER, BASIS = Decimal("0.0005"), Decimal("0.05"), Decimal("1.5"), 360


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def yuan(value) -> str:
    return f"{cents(value):,.2f}元"


def penalty(name: str, principal, days: int) -> Decimal:
    return cents(Decimal(principal) * RATE[name] / BASIS * MULTIPLIER * days)


def new_sender() -> str:
    return f"follow-{uuid.uuid4().hex[:8]}"


def conversation_ids(sender: str) -> tuple:
    """The REST sender as the stores may hold it (the channel may prefix it)."""
    return (sender, f"rest:{sender}")


def titles(replies: list) -> list:
    return [button["title"] for reply in replies for button in reply.get("buttons") or []]


def text_of(replies: list) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


# --- the greeting ----------------------------------------------------------------------

def test_the_greeting_offers_the_common_starts_as_quick_replies(servers):
    replies = servers.say(new_sender(), "你好")
    assert titles(replies) == GREETING
    allowed = allowed_payloads(ROOT / "domain.yml")
    assert all(b["payload"] in allowed for r in replies for b in r.get("buttons") or [])


def test_the_greeting_on_web_chat_comes_with_quick_replies(servers):
    import time

    import socketio

    received, confirmed = [], []
    client = socketio.Client()
    client.on("bot_uttered", lambda data: received.append(data))
    client.on("session_confirm", lambda session_id: confirmed.append(session_id))
    client.connect(servers.rasa_url, transports=["polling"])
    try:
        client.emit("session_request", {"session_id": None})
        deadline = time.monotonic() + 15
        while not confirmed and time.monotonic() < deadline:
            time.sleep(0.2)
        client.emit("user_uttered", {"message": "你好", "session_id": confirmed[-1]})
        while not received and time.monotonic() < deadline + 15:
            time.sleep(0.2)
    finally:
        client.disconnect()
    assert [reply["title"] for reply in received[0]["quick_replies"]] == GREETING


def test_the_greeting_on_wechat_is_numbered_and_a_digit_starts_the_request(servers):
    safe = SafeModeClient(servers.rasa_url)
    openid = f"o{uuid.uuid4().hex[:12]}"
    welcome = safe.reply_text(safe.post(event_xml(openid, "subscribe", seconds_ago=5)))
    for number, title in enumerate(GREETING, start=1):
        assert f"回复 {number}：{title}" in welcome
    assert "身份证号后四位" in safe.say(openid, "1")  # 查欠款: the identity check first


# --- consequences --------------------------------------------------------------------

def test_a_consequence_question_before_verification_gets_the_sourced_general_rule(servers):
    replies = servers.say(new_sender(), "不还会被起诉吗")
    text = text_of(replies)
    assert "民事纠纷" in text and "依据：《中华人民共和国民法典》" in text
    assert "尾号" not in text and "逾期12天" not in text  # no account fact before the identity check
    assert "身份证号后四位" in text
    assert titles(replies) == ["先还最低还款额", "约定还款时间", "账单分期", "申请延期", "协商还款方案（确有困难）", "转人工"]


def test_zhang_wei_asks_about_malicious_overdraft(servers):
    sender = new_sender()
    general = text_of(servers.say(sender, "信用卡逾期会不会变成恶意透支"))
    assert "两次有效催收后超过3个月" in general and "5万元" in general and "妨害信用卡管理刑事案件" in general
    assert "逾期12天" in servers.verify(sender, "张伟")  # the question resumes with his own stage
    replies = servers.say(sender, "信用卡逾期会不会变成恶意透支")
    own = text_of(replies)
    assert "您的信用卡（尾号6217）目前欠款12,000.00元、逾期12天" in own and "低于5万元" in own
    assert "贷款因为困难" not in own  # a card holder is not told about loans
    assert titles(replies) == ["先还最低还款额", "约定还款时间", "账单分期", "转人工"]


def test_li_na_asks_about_a_lawsuit(servers):
    sender = new_sender()
    servers.say(sender, "不还会被起诉吗")
    servers.verify(sender, "李娜")
    replies = servers.say(sender, "不还会被起诉吗")
    own = text_of(replies)
    assert "您的邮享贷（尾号0932）目前逾期35天，没有进入法律程序" in own
    # Deferred five months ago: no second deferral within 12 months, so it is not offered.
    assert titles(replies) == ["约定还款时间", "协商还款方案（确有困难）", "转人工"]


def test_li_na_asks_whether_her_family_will_be_called(servers):
    sender = new_sender()
    servers.say(sender, "你们会打电话给我家里人吗")
    servers.verify(sender, "李娜")
    text = servers.texts(sender, "你们会打电话给我家里人吗")
    assert "不能向与债务无关的家人、同事、朋友等第三人催收" in text and "第六十八条" in text


def test_wang_qiang_in_grace_asks_about_travel_limits(servers, today):
    sender = new_sender()
    servers.say(sender, "会不会被限制高消费")
    servers.verify(sender, "王强")
    replies = servers.say(sender, "会不会被限制高消费")
    own = text_of(replies)
    assert "您的经营贷（尾号5566）没有进入法律程序，不存在限制出行或高消费的问题" in own
    grace_end = format_day(today - timedelta(days=2) + timedelta(days=3))
    assert f"{grace_end}（含当天）之前还清8,500.00元，不收罚息" in own
    assert titles(replies) == ["约定还款时间", "申请延期", "协商还款方案（确有困难）", "转人工"]


def test_collection_that_breaks_the_rules_goes_to_a_person_first(servers):
    sender = new_sender()
    text = servers.texts(sender, "你们催收的昨天半夜打电话给我妈，还骂她，这样合法吗")
    assert "客服" in text  # a person takes it (or calls back when no one is signed in)
    with session_scope(servers.loans_url) as session:
        ticket = session.execute(select(HandoffTicket).where(
            HandoffTicket.conversation_id.in_(conversation_ids(sender)))).scalar_one()
        assert ticket.priority == 2 and ticket.reason in ("complaint", "negative_emotion")


# --- what-if figures ------------------------------------------------------------------

def test_zhang_wei_asks_what_paying_the_minimum_does(servers):
    sender = new_sender()
    assert "身份证号后四位" in servers.texts(sender, "如果我先还最低还款额会怎样")
    text = servers.verify(sender, "张伟")
    charges = cents(12000 * CARD_DAILY * 12) + cents(1200 * LATE_FEE)  # 72.00 + 60.00
    remaining = Decimal("12000") + charges - Decimal("1200")
    assert (f"先抵扣已产生的费用{yuan(charges)}，其余{yuan(Decimal('1200') - charges)}用于归还欠款，"
            f"还款后还需还{yuan(remaining)}") in text
    assert yuan(remaining) == "10,932.00元"
    assert f"每天约{yuan(remaining * CARD_DAILY)}" in text  # 5.47元
    assert "已经还上了最低还款额1,200.00元" in text and "仍会按规定如实报送征信" in text


def test_li_na_asks_what_a_partial_payment_leaves(servers):
    sender = new_sender()
    servers.say(sender, "我今天先还一千剩下的还收罚息吗")
    text = servers.verify(sender, "李娜")
    charges = penalty("李娜", 2180, 35)  # 13.83
    remaining = Decimal("2180") + charges - Decimal("1000")
    assert (f"先抵扣已产生的费用{yuan(charges)}，其余{yuan(Decimal('1000') - charges)}用于归还欠款，"
            f"还款后还需还{yuan(remaining)}") in text
    assert f"每天约{yuan(remaining * RATE['李娜'] / BASIS * MULTIPLIER)}" in text  # 0.22元
    assert "仍会按规定如实报送征信" in text


def test_wang_qiang_asks_what_settling_next_friday_costs(servers, today):
    sender = new_sender()
    servers.say(sender, "如果下周五全部还清，一共要还多少钱")
    text = servers.verify(sender, "王强")
    day = parse_date("下周五", today)
    due = today - timedelta(days=2)
    total = Decimal("8500") + penalty("王强", 8500, (day - due).days)
    assert f"如果在{format_day(day)}一次还清，需要还{yuan(total)}" in text
    assert f"比今天还清多{yuan(total - Decimal('8500'))}" in text


def test_wang_qiang_in_grace_asks_about_a_partial_payment(servers, today):
    sender = new_sender()
    servers.say(sender, "我今天还五千的话还剩多少")
    text = servers.verify(sender, "王强")
    assert "还款后还需还3,500.00元" in text
    grace_end = format_day(today - timedelta(days=2) + timedelta(days=3))
    assert f"剩下的3,500.00元在{grace_end}（含当天）之前还上，就不收罚息、不上报征信" in text


# --- 为什么, and other options ----------------------------------------------------------

def test_zhang_wei_asks_why_a_card_cannot_be_deferred(servers):
    sender = new_sender()
    servers.say(sender, "我想申请延期还款")
    assert "信用卡暂不支持延期还款" in servers.verify(sender, "张伟")
    replies = servers.say(sender, "为什么不行")
    assert "延期（展期）是针对贷款的办法" in text_of(replies)
    assert titles(replies) == ["先还最低还款额", "约定还款时间", "账单分期", "转人工"]


def test_li_na_asks_why_she_cannot_defer_again(servers, today):
    sender = new_sender()
    servers.say(sender, "我想申请延期还款")
    servers.verify(sender, "李娜")
    text = servers.texts(sender, "为什么不行")
    assert f"12个月内只能办理一次延期，您这笔贷款在{format_day(add_months(today, -5))}已经办过一次" in text


def test_wang_qiang_asks_why_after_a_figure(servers):
    sender = new_sender()
    servers.say(sender, "罚息怎么算的")
    servers.verify(sender, "王强")
    assert "3天宽限期" in servers.texts(sender, "为什么")


@pytest.mark.parametrize("customer, expected", [
    ("张伟", ["先还最低还款额", "约定还款时间", "账单分期", "转人工"]),
    ("李娜", ["约定还款时间", "协商还款方案（确有困难）", "转人工"]),
    ("王强", ["约定还款时间", "申请延期", "协商还款方案（确有困难）", "转人工"]),
])
def test_other_options_in_a_sensible_order(servers, customer, expected):
    sender = new_sender()
    servers.say(sender, "我现在欠多少钱")
    servers.verify(sender, customer)
    replies = servers.say(sender, "还有别的办法吗")
    assert titles(replies) == expected
    allowed = allowed_payloads(ROOT / "domain.yml")
    assert all(b["payload"] in allowed for r in replies for b in r.get("buttons") or [])


# --- short replies inside a confirmation or a form question ----------------------------

def requests_of(servers, name: str, kind: str) -> list:
    with session_scope(servers.loans_url) as session:
        customer = session.execute(select(Customer).where(Customer.name == name)).scalar_one()
        return list(session.execute(select(ServiceRequest).where(
            ServiceRequest.customer_id == customer.id, ServiceRequest.kind == kind)).scalars())


def test_zhang_wei_finds_the_plan_too_expensive(servers, no_card_plans):
    sender = new_sender()
    servers.say(sender, "我想把信用卡欠款分期")
    servers.verify(sender, "张伟")
    assert "分6期，每月还2,072.00元" in servers.texts(sender, "6期")
    replies = servers.say(sender, "算了太贵了，有没有便宜点的办法")
    text = text_of(replies)
    assert "这个方案先不办" in text and "确认办理吗" not in text
    assert titles(replies) == ["先还最低还款额", "约定还款时间", "账单分期", "转人工"]
    assert requests_of(servers, "张伟", "card_installment") == []


def test_wang_qiang_answers_in_his_own_words_then_declines(servers):
    sender = new_sender()
    servers.say(sender, "我想申请延期")
    servers.verify(sender, "王强")
    servers.say(sender, "生意周转不开")
    assert "延期3个月" in servers.texts(sender, "三个月就行")
    text = servers.texts(sender, "这个方案我不接受")
    assert "这个方案先不办" in text and "确认提交吗" not in text
    assert all(r.conversation_id not in conversation_ids(sender) for r in requests_of(servers, "王强", "deferral"))


def test_li_na_says_no_to_her_negotiated_plan(servers):
    sender = new_sender()
    servers.say(sender, "我想协商还款")
    servers.verify(sender, "李娜")
    assert "每月可还2,000.00元" in servers.texts(sender, "每月两千左右")
    text = servers.texts(sender, "不想办了")
    assert "先不" in text and "确认提交吗" not in text
    assert all(r.conversation_id not in conversation_ids(sender)
               for r in requests_of(servers, "李娜", "negotiated_plan"))
