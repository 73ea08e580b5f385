"""Each action with rasa-sdk trackers, against a seeded SQLite loan database."""
from typing import Any, Dict

import pytest
from rasa_sdk.events import SlotSet

from actions.account_answers import ActionAnswerAccount
from actions.fallback import ActionHandleFallback
from actions.identity import ValidateIdentityForm
from actions.router import ActionRouteRequest
from actions.identity import fresh_identity_slots
from tests.conftest import forget_identity_failures
from tests.sms_outbox import Outbox
from tests.trackers import make_tracker, responses, run, values, verified


@pytest.fixture(autouse=True)
def loans(sqlite_loans, tmp_path, monkeypatch):
    monkeypatch.setenv("SMS_OUTBOX_PATH", str(tmp_path / "sms-outbox.jsonl"))
    forget_identity_failures(sqlite_loans)
    yield sqlite_loans
    forget_identity_failures(sqlite_loans)  # the mismatches below must not lock the demo customers


@pytest.fixture
def outbox(tmp_path):
    return Outbox(tmp_path / "sms-outbox.jsonl")


async def pass_digits(text: str, domain: dict, **kwargs) -> Dict[str, Any]:
    """The first factor in the form; the slots it set."""
    tracker = make_tracker(text, "inform", active_loop="identity_form", **kwargs)
    _, events = await run(ValidateIdentityForm(), tracker, domain)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def enter_code(code: str, slots: Dict[str, Any], domain: dict, sender: str = "test-user"):
    tracker = make_tracker(code, "inform", {"requested_slot": "otp_code", **slots}, active_loop="identity_form",
                           sender=sender)
    return await run(ValidateIdentityForm(), tracker, domain)


# --- action_route_request (identity part) ---------------------------------------


@pytest.mark.parametrize(
    "intent, slots, step",
    [
        ("ask_overdue_status", {}, "identity"),
        ("ask_credit_impact", {}, "identity"),
        ("request_deferral", {}, "identity"),
        ("ask_penalty", {}, "answer"),  # the rule is answered without identity
        ("ask_repayment_method", {}, "answer"),
        ("ask_overdue_status", {"verified": True}, "answer"),
        ("ask_overdue_status", {"identity_failures": 3}, "answer"),  # locked: no more asking
    ],
)
async def test_route_asks_for_identity_first(intent, slots, step):
    _, events = await run(ActionRouteRequest(), make_tracker("x", intent, slots))
    assert SlotSet("pending_request", intent) in events
    assert SlotSet("next_step", step) in events


async def test_inform_with_digits_starts_the_check_and_keeps_the_question():
    tracker = make_tracker("3021 8866", "inform", {"pending_request": "ask_penalty"})
    _, events = await run(ActionRouteRequest(), tracker)
    assert events == [*fresh_identity_slots(), SlotSet("next_step", "identity")]


# --- validate_identity_form -------------------------------------------------------


@pytest.mark.parametrize(
    "text, name",
    [
        ("身份证后四位3021，手机尾号8866", "张伟"),
        ("8866 3021", "张伟"),  # either order
        ("５５２１ ４５２ｘ", "李娜"),  # full-width, lower-case x
        ("手机0019身份证7788", "王强"),
    ],
)
async def test_identity_verified_by_the_digits_then_the_code(text, name, domain, outbox):
    mark = outbox.mark()
    slots = await pass_digits(text, domain, slots={"requested_slot": "id_last4"})
    assert "verified" not in slots and "customer_name" not in slots  # nothing about the account yet
    assert slots["identity_candidate_id"] and slots["otp_code"] is None
    [line] = outbox.lines()[mark:]
    assert line["phone"].endswith(slots["phone_last4"]) and set(line) == {"phone", "text", "sent_at"}
    messages, events = await enter_code(outbox.code_since(mark), slots, domain)
    verified_slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert verified_slots["verified"] is True and verified_slots["customer_name"] == name
    assert verified_slots["otp_code"] == "passed" and verified_slots["identity_method"] == "sms_code"
    assert responses(messages) == ["utter_identity_verified"]


async def test_identity_in_two_messages_either_order(domain):
    first = make_tracker("0019", "inform", active_loop="identity_form", slots={"requested_slot": "id_last4"})
    _, events = await run(ValidateIdentityForm(), first, domain)
    assert events == [SlotSet("id_last4", "0019")]
    second = make_tracker(
        "7788", "inform", active_loop="identity_form", slots={"requested_slot": "phone_last4", "id_last4": "0019"}
    )
    _, events = await run(ValidateIdentityForm(), second, domain)
    assert SlotSet("verified", True) not in events
    assert SlotSet("phone_last4", "0019") in events and SlotSet("id_last4", "7788") in events  # the code comes next


async def test_mismatch_does_not_say_which_and_counts():
    tracker = make_tracker("身份证后四位3021，手机尾号5521", "inform", active_loop="identity_form")
    messages, events = await run(ValidateIdentityForm(), tracker)
    assert SlotSet("identity_failures", 1) in events
    assert SlotSet("verified", True) not in events
    assert [(m["response"], m["remaining"]) for m in messages] == [("utter_identity_mismatch", 2)]


async def test_third_failure_ends_the_form():
    tracker = make_tracker("1111 2222", "inform", {"identity_failures": 2}, active_loop="identity_form")
    messages, events = await run(ValidateIdentityForm(), tracker)
    assert SlotSet("identity_failures", 3) in events
    assert SlotSet("requested_slot", None) in events
    assert messages == []  # action_answer_account says it, once


async def test_wechat_bound_sender_cannot_verify_as_someone_else():
    tracker = make_tracker("3021 8866", "inform", active_loop="identity_form", sender="oDEMO_lina")
    _, events = await run(ValidateIdentityForm(), tracker)
    assert SlotSet("verified", True) not in events
    assert not any(e.get("name") == "identity_candidate_id" and e.get("value") for e in events)


async def test_message_without_digits_is_left_to_the_conversation():
    tracker = make_tracker("转人工", "request_human", active_loop="identity_form")
    assert await run(ValidateIdentityForm(), tracker) == ([], [])


# --- action_answer_account --------------------------------------------------------


async def test_overdue_status_for_zhang_wei():
    tracker = make_tracker("我欠多少", "ask_overdue_status", verified("3021", "8866", "ask_overdue_status"))
    messages, _ = await run(ActionAnswerAccount(), tracker)
    [card] = values(messages, "utter_overdue_card")
    assert (card["account_tail"], card["overdue_amount"], card["minimum_due"]) == ("6217", "12,000.00元", "1,200.00元")
    assert (card["days_overdue"], card["penalty_interest"], card["late_fee"], card["charges"]) == (
        12, "72.00元", "60.00元", "132.00元")


async def test_overdue_status_for_wang_qiang_names_the_grace_period():
    tracker = make_tracker("欠多少", "ask_overdue_status", verified("7788", "0019", "ask_overdue_status"))
    messages, _ = await run(ActionAnswerAccount(), tracker)
    [loan] = values(messages, "utter_overdue_loan")
    assert (loan["product_name"], loan["account_tail"], loan["overdue_amount"], loan["days_overdue"]) == (
        "经营贷", "5566", "8,500.00元", 2)
    [grace] = values(messages, "utter_overdue_in_grace")
    assert grace["grace_days"] == 3 and grace["grace_period_end"]


async def test_penalty_for_li_na():
    tracker = make_tracker("罚息多少", "ask_penalty", verified("452X", "5521", "ask_penalty"))
    messages, _ = await run(ActionAnswerAccount(), tracker)
    [penalty] = values(messages, "utter_penalty_loan")
    assert (penalty["penalty_interest"], penalty["daily_penalty"], penalty["annual_rate"]) == (
        "13.83元", "0.40元", "4.35%")


async def test_penalty_rule_without_identity_has_no_account_fact():
    tracker = make_tracker("罚息怎么算", "ask_penalty", {"pending_request": "ask_penalty"})
    messages, _ = await run(ActionAnswerAccount(), tracker)
    assert responses(messages) == ["utter_penalty_rule", "utter_verify_for_personal_figures"]
    assert messages[0]["card_daily_rate"] == "0.05%" and messages[0]["grace_days"] == 3
    assert not any("account_tail" in m for m in messages)


@pytest.mark.parametrize(
    "ids, expected",
    [(("3021", "8866"), "utter_credit_reported"), (("7788", "0019"), "utter_credit_in_grace")],
)
async def test_credit_impact_is_personal_and_warns_of_repair_scams(ids, expected):
    tracker = make_tracker("会上征信吗", "ask_credit_impact", verified(*ids, "ask_credit_impact"))
    messages, _ = await run(ActionAnswerAccount(), tracker)
    assert expected in responses(messages)
    assert responses(messages)[-1] == "utter_credit_repair_warning"


async def test_repayment_method_names_the_account_tail_when_verified():
    tracker = make_tracker("怎么还", "ask_repayment_method", verified("7788", "0019", "ask_repayment_method"))
    messages, _ = await run(ActionAnswerAccount(), tracker)
    assert "手机银行" in messages[0]["channels"]
    assert values(messages, "utter_repayment_account")[0]["repayment_account_tail"] == "2048"


async def test_locked_customer_is_offered_a_human():
    tracker = make_tracker("x", "inform", {"identity_failures": 3, "pending_request": "ask_overdue_status"})
    messages, _ = await run(ActionAnswerAccount(), tracker)
    assert responses(messages) == ["utter_identity_locked"]


async def test_loan_type_entity_picks_the_loan():
    tracker = make_tracker(
        "房贷那笔", "inform", verified("3021", "8866", "ask_overdue_status"),
        entities=[{"entity": "loan_type", "value": "mortgage"}],
    )
    messages, _ = await run(ActionAnswerAccount(), tracker)
    assert responses(messages)[0] == "utter_no_loan_of_type"  # 张伟 has a card only
    assert "utter_overdue_card" in responses(messages)


async def test_database_failure_is_an_apology(monkeypatch):
    monkeypatch.setenv("LOAN_DB_URL", "postgresql://nobody@127.0.0.1:1/none")
    tracker = make_tracker("欠多少", "ask_overdue_status", {"verified": True, "customer_id": 1,
                                                          "pending_request": "ask_overdue_status"})
    messages, events = await run(ActionAnswerAccount(), tracker)
    assert responses(messages) == ["utter_technical_apology"] and events == []


# --- action_handle_fallback -------------------------------------------------------


def _user(intent: str) -> Dict[str, Any]:
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent}}}


@pytest.mark.parametrize(
    "text, history, expected",
    [
        ("asdf", [_user("nlu_fallback")], "utter_default"),
        ("asdf", [_user("nlu_fallback"), _user("nlu_fallback")], "utter_offer_human"),
        ("asdf", [_user("nlu_fallback"), _user("greet"), _user("nlu_fallback")], "utter_default"),
        ("   ", [_user("nlu_fallback")], "utter_empty_message"),
        ("😭😭", [_user("nlu_fallback")], "utter_emoji_only"),
    ],
)
async def test_fallback(text, history, expected):
    tracker = make_tracker(text, "nlu_fallback", events=history)
    messages, events = await run(ActionHandleFallback(), tracker)
    assert responses(messages) == [expected] and events == []


async def test_numbers_in_the_request_that_opens_the_check_are_not_identity():
    tracker = make_tracker("我下周五还3000", "promise_to_pay", active_loop="identity_form",
                           latest_action="action_route_request")
    assert await run(ValidateIdentityForm(), tracker) == ([], [])


async def test_after_hours_the_ticket_is_queued_and_the_bot_keeps_serving(monkeypatch):
    from datetime import datetime

    from overdue.clock import CHINA
    from actions.handoff import ActionHandoff

    monkeypatch.setattr("actions.handoff.now_in_china", lambda: datetime(2026, 11, 29, 23, 30, tzinfo=CHINA))
    messages, events = await run(ActionHandoff(), make_tracker("转人工", "request_human", sender="night-owl"))
    assert responses(messages) == ["utter_handoff_after_hours"]
    assert (messages[0]["opens"], messages[0]["closes"]) == ("07:00", "23:00")
    assert not any(event["event"] == "pause" for event in events)
