"""A reminder in the conversation: what the bot says (figures only to a verified or bound
customer), a yes read as a promise to pay, 退订 / 订阅, and the wording itself."""
import re
import string
from datetime import timedelta

import pytest
from rasa_sdk.events import SlotSet

from overdue.clock import now_in_china, today_in_china
from overdue.bank_rules import load_bank_rules
from actions.proactive import ActionReminderMessage, ActionResumeReminders, ActionStopReminders
from actions.router import ActionRouteRequest
from bank_nlu.reminder_replies import RESUME, STOP, reply_intent
from loandb.models import Reminder
from loandb.session import session_scope
from loandb import reminder_store as store
from overdue.reminder_figures import ReminderFigures
from tests.reminder_helpers import add_customer, remove_customers, web_conversation
from tests.trackers import make_tracker, responses, run

OPENID = "oREM_conversation"
WEB = "web-reminder-conversation"


@pytest.fixture(scope="module")
def customer(sqlite_loans):
    """A WeChat-bound customer 1 day overdue, and a reminder to them in WeChat and one in a web chat."""
    with session_scope() as session:
        customer_id, [loan_id] = add_customer(session, "陈静", today_in_china() - timedelta(days=1), openid=OPENID)
        web_conversation(session, customer_id, WEB, now_in_china())
        ids = {}
        for conversation, channel in ((OPENID, "wechat"), (WEB, "socketio")):
            row = Reminder(customer_id=customer_id, loan_id=loan_id, occasion="overdue",
                           due_date=today_in_china() - timedelta(days=1), days_from_due=1, decided_at=now_in_china(),
                           status="sent", channel=channel, conversation_id=conversation)
            session.add(row)
            session.flush()
            ids[channel] = row.id
    yield {"id": customer_id, "reminders": ids}
    remove_customers(sqlite_loans, [customer_id])


def reminder_tracker(reminder_id, sender, intent="EXTERNAL_overdue_reminder", **slots):
    return make_tracker(f"EXTERNAL: {intent}", intent, slots, sender=sender,
                        entities=[{"entity": "reminder_id", "value": reminder_id}])


async def test_a_bound_wechat_customer_hears_their_own_figures(customer):
    messages, events = await run(ActionReminderMessage(), reminder_tracker(customer["reminders"]["wechat"], OPENID))
    assert responses(messages) == ["utter_reminder_in_grace", "utter_reminder_how_to_reply"]
    assert messages[0]["amount"] == "5,250.00元" and messages[0]["customer_name"] == "陈静"
    assert messages[1]["opt_out_word"] == "退订"
    assert SlotSet("reminder_kind", "in_grace") in events
    assert SlotSet("pending_request", "ask_overdue_status") in events


async def test_an_unverified_web_chat_gets_a_general_reminder(customer):
    messages, _ = await run(ActionReminderMessage(), reminder_tracker(customer["reminders"]["socketio"], WEB))
    assert responses(messages) == ["utter_reminder_general", "utter_reminder_how_to_reply"]
    assert not any("amount" in m for m in messages)


async def test_a_web_chat_verified_as_the_customer_gets_the_figures(customer):
    tracker = reminder_tracker(customer["reminders"]["socketio"], WEB, verified=True, customer_id=customer["id"])
    messages, _ = await run(ActionReminderMessage(), tracker)
    assert responses(messages)[0] == "utter_reminder_in_grace"


async def test_a_reminder_is_said_only_in_its_own_conversation(customer):
    messages, events = await run(ActionReminderMessage(), reminder_tracker(customer["reminders"]["wechat"], WEB))
    assert (messages, events) == ([], [])


async def test_a_yes_right_after_a_reminder_is_a_promise_to_pay(customer):
    events = [{"event": "action", "name": "action_reminder_message"}, {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "好的", "parse_data": {"intent": {"name": "affirm"}, "entities": []}}]
    tracker = make_tracker("好的", "affirm", {"reminder_kind": "in_grace"}, events=events, sender=OPENID)
    _, routed = await run(ActionRouteRequest(), tracker)
    assert SlotSet("pending_request", "promise_to_pay") in routed and SlotSet("next_step", "identity") in routed
    verified = make_tracker("好的", "affirm", {"reminder_kind": "in_grace", "verified": True,
                                               "customer_id": customer["id"]}, events=events, sender=OPENID)
    _, routed = await run(ActionRouteRequest(), verified)
    assert SlotSet("next_step", "promise_form") in routed


async def test_a_yes_to_a_due_soon_note_is_thanked(customer, sqlite_loans):
    with session_scope() as session:
        early, _ = add_customer(session, "何平", today_in_china() + timedelta(days=3))
    try:
        tracker = make_tracker("好的", "affirm", {"reminder_kind": "due_soon", "verified": True, "customer_id": early})
        messages, routed = await run(ActionRouteRequest(), tracker)
        assert responses(messages) == ["utter_reminder_noted"] and SlotSet("next_step", "done") in routed
    finally:
        remove_customers(sqlite_loans, [early])


async def test_stop_and_resume_reminders(customer):
    messages, _ = await run(ActionStopReminders(), make_tracker("退订", STOP, sender=OPENID))
    assert responses(messages) == ["utter_reminders_stopped"] and messages[0]["opt_in_word"] == "订阅"
    with session_scope() as session:
        assert store.is_opted_out(session, customer["id"])
    # In the web chat the reminder went to, the bank knows whose it is without asking.
    messages, _ = await run(ActionResumeReminders(), make_tracker("订阅", RESUME, sender=WEB))
    assert responses(messages) == ["utter_reminders_resumed"]
    with session_scope() as session:
        assert not store.is_opted_out(session, customer["id"])


async def test_opting_out_in_a_conversation_of_no_known_customer_says_how(customer):
    messages, _ = await run(ActionStopReminders(), make_tracker("退订", STOP, sender="web-nobody-known"))
    assert responses(messages) == ["utter_reminders_whose"]


@pytest.mark.parametrize("text, intent", [
    ("退订", STOP), ("TD", STOP), ("td", STOP), (" 退订。", STOP), ("ＴＤ", STOP),
    ("订阅", RESUME), ("恢复提醒", RESUME),
    ("我要退订信用卡", None), ("TDD", None), ("好的我明天还", None), ("", None),
])
def test_an_exact_reply_stops_or_resumes_reminders(text, intent):
    assert reply_intent(text, load_bank_rules().reminders) == intent


# --- the words ------------------------------------------------------------------------

THREATS = ("起诉", "法院", "律师", "上门", "催收", "黑名单", "后果", "必须", "立即", "马上还", "曝光", "通讯录",
           "家人", "单位", "拘留", "坐牢", "失信", "强制", "最后通牒", "警告")


def reminder_responses(domain):
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()
            if name.startswith(("utter_reminder", "utter_reminders"))}


def test_reminder_wording_is_polite_and_never_threatening(domain):
    texts = reminder_responses(domain)
    assert len(texts) >= 15
    for name, text in texts.items():
        assert not [word for word in THREATS if word in text], name
        # Every figure comes from the database or the policy: none written into the words
        # (the how-to-reply examples are what a customer might type).
        if name != "utter_reminder_how_to_reply":
            assert not re.search(r"\d", text), name
    for name in ("utter_reminder_due_soon", "utter_reminder_in_grace", "utter_reminder_grace_last_day",
                 "utter_reminder_overdue", "utter_reminder_general"):
        assert "您好" in texts[name] and "您" in texts[name].replace("您好", ""), name
    assert "{opt_out_word}" in texts["utter_reminder_how_to_reply"]
    assert "{opt_in_word}" in texts["utter_reminders_stopped"]  # told how to resume


def test_every_placeholder_is_filled_from_the_figures(domain):
    figures = ReminderFigures(stage="overdue", customer_name="陈静", product_name="邮享贷", account_tail="0932",
                              repayment_account_tail="7310", due_date=today_in_china(), amount=1,
                              minimum_due=None, days_overdue=7, grace_period_end=today_in_china(), charges=0)
    values = {**figures.values(), "opt_out_word": "退订", "opt_in_word": "订阅"}
    for name, text in reminder_responses(domain).items():
        wanted = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        assert wanted <= set(values), (name, wanted - set(values))


def test_the_reminder_event_is_not_taken_for_the_customers_words():
    from overdue.handoff_triggers import recent_user_messages
    from console.tickets import transcript

    events = [{"event": "user", "text": "EXTERNAL: EXTERNAL_overdue_reminder", "timestamp": 1,
               "parse_data": {"intent": {"name": "EXTERNAL_overdue_reminder"}}},
              {"event": "bot", "text": "陈静您好，这里是邮储银行。", "timestamp": 2},
              {"event": "user", "text": "好的我明天还", "timestamp": 3,
               "parse_data": {"intent": {"name": "promise_to_pay", "confidence": 0.99}}}]
    assert [m["text"] for m in recent_user_messages(events)] == ["好的我明天还"]
    lines = transcript({"events": events})
    assert [line["who"] for line in lines] == ["bot", "bot", "user"]
    assert "EXTERNAL" not in lines[0]["text"] and "提醒" in lines[0]["text"]
