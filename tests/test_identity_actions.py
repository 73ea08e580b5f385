"""The identity journey at the action level: two factors, lockouts in the database across
conversations and channels, the bank's login, WeChat binding, and never a figure before."""
from datetime import timedelta
from typing import Any, Dict, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy import select, update

from actions.account_answers import ActionAnswerAccount
from overdue.clock import now_in_china
from actions.identity import ActionUnbindWechat, ValidateIdentityForm
from actions.router import ActionRouteRequest
from loandb.models import Customer, IdentityLock, OneTimeCode
from loandb.session import session_scope
from tests.conftest import forget_identity_failures
from tests.sms_outbox import Outbox
from tests.trackers import responses, run

FIGURE_RESPONSES = {"utter_overdue_card", "utter_overdue_loan", "utter_identity_verified"}


@pytest.fixture(autouse=True)
def loans(sqlite_loans, tmp_path, monkeypatch):
    monkeypatch.setenv("SMS_OUTBOX_PATH", str(tmp_path / "sms-outbox.jsonl"))
    forget_identity_failures(sqlite_loans)
    yield sqlite_loans
    forget_identity_failures(sqlite_loans)


@pytest.fixture
def outbox(tmp_path):
    return Outbox(tmp_path / "sms-outbox.jsonl")


def tracker(text: str, slots: Optional[Dict[str, Any]] = None, sender: str = "conv-1", channel: str = "rest",
            metadata: Optional[dict] = None, intent: str = "inform", active_loop: Optional[str] = "identity_form",
            latest_action: str = "action_listen") -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [],
               "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "input_channel": channel, "parse_data": message,
               "metadata": metadata or {}}]
    return Tracker(sender, {"identity_failures": 0, "verified": False, **(slots or {})}, message, events,
                   False, None, {"name": active_loop} if active_loop else {}, latest_action)


def slots_of(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def digits(domain, text="身份证后四位3021，手机尾号8866", **kwargs):
    messages, events = await run(ValidateIdentityForm(), tracker(text, **kwargs), domain)
    return messages, slots_of(events)


async def code(domain, typed: str, slots: Dict[str, Any], **kwargs):
    messages, events = await run(ValidateIdentityForm(),
                                 tracker(typed, {"requested_slot": "otp_code", **slots}, **kwargs), domain)
    return messages, slots_of(events)


def zhang_id() -> int:
    with session_scope() as session:
        return session.execute(select(Customer.id).where(Customer.id_last4 == "3021")).scalar_one()


# --- the code -----------------------------------------------------------------------------


async def test_the_code_is_stored_only_as_a_hash_and_works_once(domain, outbox):
    mark = outbox.mark()
    _, first = await digits(domain)
    sent = outbox.code_since(mark, "8866")
    with session_scope() as session:
        stored = session.execute(select(OneTimeCode.code_hash)).scalars().all()
    assert stored and all(sent not in value for value in stored)
    _, done = await code(domain, sent, first)
    assert done["verified"] is True
    # The same code again, in a new check of the same conversation: it was used.
    messages, again = await code(domain, sent, first)
    assert "verified" not in again and responses(messages) == ["utter_otp_expired"]


async def test_three_wrong_codes_void_it(domain, outbox):
    mark = outbox.mark()
    _, first = await digits(domain)
    right = outbox.code_since(mark, "8866")
    wrong = "000000" if right != "000000" else "111111"
    said = [responses((await code(domain, wrong, first))[0]) for _ in range(3)]
    assert said == [["utter_otp_wrong"], ["utter_otp_wrong"], ["utter_otp_voided"]]
    messages, after = await code(domain, right, first)  # even the right one: it is void
    assert "verified" not in after


async def test_an_expired_code_does_not_verify(domain, outbox):
    mark = outbox.mark()
    _, first = await digits(domain)
    with session_scope() as session:
        session.execute(update(OneTimeCode).values(expires_at=now_in_china() - timedelta(seconds=1)))
    messages, after = await code(domain, outbox.code_since(mark, "8866"), first)
    assert "verified" not in after and responses(messages) == ["utter_otp_expired"]


def earlier(session) -> None:
    """Every code sent so far, as if sent 61 s earlier."""
    for row in session.execute(select(OneTimeCode)).scalars():
        row.sent_at = row.sent_at - timedelta(seconds=61)


async def test_resend_at_most_every_minute_and_five_an_hour(domain, outbox):
    mark = outbox.mark()
    _, first = await digits(domain)
    messages, _ = await code(domain, "重新发送", first)
    assert responses(messages) == ["utter_otp_resend_wait"] and len(outbox.lines()) == mark + 1
    for _ in range(4):  # as if each had been sent over a minute before the next
        with session_scope() as session:
            earlier(session)
        messages, _ = await code(domain, "没收到，重新发送一下", first)
        assert responses(messages) == ["utter_otp_resent"]
    with session_scope() as session:
        earlier(session)
    messages, _ = await code(domain, "重新发送", first)
    assert responses(messages) == ["utter_otp_resend_limit"] and len(outbox.lines()) == mark + 5
    # Only the newest code works.
    codes = outbox.codes_since(mark, "8866")
    if codes[0] != codes[-1]:
        _, old = await code(domain, codes[0], first)
        assert "verified" not in old
    _, newest = await code(domain, codes[-1], first)
    assert newest["verified"] is True


# --- lockouts -----------------------------------------------------------------------------


async def test_five_failures_lock_the_customer_across_conversations_and_channels(domain, outbox):
    # Wrong phone digits for 张伟's ID tail, from five conversations on REST and WeChat.
    for number, channel in enumerate(["rest", "rest", "wechat", "socketio", "wechat"]):
        await digits(domain, "身份证后四位3021，手机尾号1234", sender=f"attacker-{number}", channel=channel)
    with session_scope() as session:
        assert session.execute(select(IdentityLock.customer_id)).scalars().all() == [zhang_id()]
    mark = outbox.mark()
    # Now even the right digits, in a new conversation, get no code and no figures.
    messages, stopped = await digits(domain, sender="zhang-real")
    assert stopped["identity_blocked"] == "customer_locked" and stopped["requested_slot"] is None
    assert not FIGURE_RESPONSES & set(responses(messages)) and outbox.mark() == mark
    answer, events = await run(ActionAnswerAccount(), tracker(
        "x", {**stopped, "pending_request": "ask_overdue_status"}, sender="zhang-real", active_loop=None,
        latest_action="identity_form"), domain)
    assert responses(answer) == ["utter_identity_customer_locked"]
    assert SlotSet("handoff_reason", "identity_failed") in events


async def test_wrong_codes_count_towards_the_lock_even_with_the_right_code_later(domain, outbox):
    for attempt in range(2):
        with session_scope() as session:
            earlier(session)  # the second code a minute after the first
        mark = outbox.mark()
        _, first = await digits(domain, sender=f"guess-{attempt}")
        for _ in range(3 if attempt == 0 else 2):
            await code(domain, "999999" if outbox.code_since(mark) != "999999" else "888888", first,
                       sender=f"guess-{attempt}")
    # Five wrong codes in all: the right code of the live one no longer helps.
    messages, after = await code(domain, outbox.code_since(mark), first, sender="guess-1")
    assert "verified" not in after and after["identity_blocked"] == "customer_locked"


async def test_a_source_with_ten_failures_is_stopped(domain):
    for number in range(10):
        # Different random customers' tails each time; the same WeChat openid.
        await digits(domain, f"身份证后四位{1000 + number}，手机尾号{2000 + number}", sender="oSPRAYER",
                     channel="wechat", slots={"identity_failures": 0})
    messages, stopped = await digits(domain, sender="oSPRAYER", channel="wechat")
    assert stopped["identity_blocked"] == "source_blocked" and "verified" not in stopped


async def test_a_lifted_lock_starts_the_count_afresh(domain, outbox):
    for number in range(5):
        await digits(domain, "身份证后四位3021，手机尾号1234", sender=f"typo-{number}")
    with session_scope() as session:
        lock = session.execute(select(IdentityLock)).scalar_one()
        lock.lifted_at = now_in_china()  # as the console does after a call (tests/test_identity_console.py)
    mark = outbox.mark()
    _, first = await digits(domain, sender="zhang-after-call")
    _, done = await code(domain, outbox.code_since(mark, "8866"), first, sender="zhang-after-call")
    assert done["verified"] is True


# --- the bank's login and forged metadata -------------------------------------------------


async def test_bank_login_metadata_from_the_socket_channel_verifies(domain):
    customer = zhang_id()
    messages, events = await run(ActionRouteRequest(), tracker(
        "我欠多少钱", channel="socketio", metadata={"bank_login_customer_id": customer},
        intent="ask_overdue_status", active_loop=None), domain)
    slots = slots_of(events)
    assert slots["verified"] is True and slots["customer_id"] == customer
    assert slots["identity_method"] == "bank_login" and slots["next_step"] == "answer"


@pytest.mark.parametrize("channel, value", [
    ("rest", "zhang"),  # the REST channel never sets it: a client's copy
    ("wechat", "zhang"),
    ("socketio", "1"),  # not an int
    ("socketio", True),
    ("socketio", 987654),  # no such customer
])
async def test_forged_bank_login_metadata_is_refused(domain, channel, value):
    forged = zhang_id() if value == "zhang" else value
    _, events = await run(ActionRouteRequest(), tracker(
        "我欠多少钱", channel=channel, metadata={"bank_login_customer_id": forged}, intent="ask_overdue_status",
        active_loop=None), domain)
    slots = slots_of(events)
    assert "verified" not in slots and slots["next_step"] == "identity"


# --- WeChat binding -----------------------------------------------------------------------


async def test_wechat_binding_needs_the_code_and_ends_with_unbinding(domain, outbox):
    with session_scope() as session:
        wang = session.execute(select(Customer).where(Customer.id_last4 == "7788")).scalar_one()
        wang.wechat_openid, wang.wechat_bound_at = None, None
    mark = outbox.mark()
    _, first = await digits(domain, "7788 0019", sender="oWANG_NEW", channel="wechat")
    with session_scope() as session:  # the digits alone bind nothing
        assert session.execute(select(Customer.wechat_openid).where(Customer.id_last4 == "7788")).scalar() is None
    await code(domain, outbox.code_since(mark, "0019"), first, sender="oWANG_NEW", channel="wechat")
    with session_scope() as session:
        wang = session.execute(select(Customer).where(Customer.id_last4 == "7788")).scalar_one()
        assert wang.wechat_openid == "oWANG_NEW" and wang.wechat_bound_at is not None
    messages, events = await run(ActionUnbindWechat(), tracker("解绑", sender="oWANG_NEW", channel="wechat",
                                                               intent="unbind_wechat", active_loop=None), domain)
    assert responses(messages) == ["utter_wechat_unbound"] and SlotSet("verified", False) in events
    with session_scope() as session:
        assert session.execute(select(Customer.wechat_openid).where(Customer.id_last4 == "7788")).scalar() is None
    messages, _ = await run(ActionUnbindWechat(), tracker("解绑", sender="oWANG_NEW", channel="wechat",
                                                          intent="unbind_wechat", active_loop=None), domain)
    assert responses(messages) == ["utter_wechat_not_bound"]


async def test_an_expired_binding_gets_no_reminders_with_amounts_and_no_trust(today):
    from datetime import datetime, time

    from overdue.clock import CHINA
    from overdue.bank_rules import load_bank_rules
    from loandb.reminder_store import contacts, customer_of_conversation

    policy = load_bank_rules()
    as_of = datetime.combine(today, time(12), tzinfo=CHINA)
    with session_scope() as session:
        zhang = session.execute(select(Customer).where(Customer.id_last4 == "3021")).scalar_one()
        assert contacts(session, [zhang], as_of, policy.identity)[zhang.id].channel == "wechat"
        zhang.wechat_bound_at = as_of - timedelta(days=policy.identity.wechat_binding_days, seconds=1)
        session.flush()
        # Not to WeChat any more: at most to a web chat the customer verified in.
        assert getattr(contacts(session, [zhang], as_of, policy.identity).get(zhang.id), "channel", None) != "wechat"
        assert customer_of_conversation(session, "oDEMO_zhangwei", as_of, policy.identity) is None
        zhang.wechat_bound_at = as_of  # as seeded, for the tests after this one


async def test_bank_login_while_the_digits_are_asked_ends_the_check_verified(domain, outbox):
    customer = zhang_id()
    messages, events = await run(ValidateIdentityForm(), tracker(
        "你好", {"requested_slot": "id_last4"}, channel="socketio",
        metadata={"bank_login_customer_id": customer}, intent="greet"), domain)
    slots = slots_of(events)
    assert slots["verified"] is True and slots["customer_id"] == customer and slots["requested_slot"] is None
    assert responses(messages) == ["utter_identity_verified"] and outbox.mark() == 0  # no code needed
