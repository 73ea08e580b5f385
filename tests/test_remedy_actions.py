"""The remedy flows' actions with rasa-sdk trackers, against a seeded SQLite database:
who is routed where, what each form accepts, and exactly one record per confirmed flow."""
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from overdue.clock import CHINA, today_in_china
from actions.deferral import ActionSubmitDeferral, ValidateDeferralForm
from actions.installment import ActionAskInstallmentTerm, ActionSubmitCardInstallment, ValidateNegotiatedPlanForm
from actions.promise import ActionSubmitPromise, ValidatePromiseForm
from actions.request_forms import ActionCancelRequest
from actions.router import ActionRouteRequest
from loandb.models import LoanAccount, Payment, ServiceRequest
from loandb.session import session_scope
from tests.trackers import customer_id, make_tracker, responses, run

IDS = {"张伟": ("3021", "8866"), "李娜": ("452X", "5521"), "王强": ("7788", "0019")}


@pytest.fixture(autouse=True)
def loans(sqlite_loans):
    return sqlite_loans


def loan_id(name: str) -> int:
    with session_scope() as session:
        return session.execute(
            select(LoanAccount.id).where(LoanAccount.customer_id == customer_id(*IDS[name]))
        ).scalar_one()


def as_customer(name: str, **slots):
    return {"verified": True, "customer_id": customer_id(*IDS[name]), **slots}


def requests_of(name: str, kind: str) -> list:
    with session_scope() as session:
        return list(session.execute(
            select(ServiceRequest).where(ServiceRequest.customer_id == customer_id(*IDS[name]),
                                         ServiceRequest.kind == kind)
        ).scalars())


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


# --- routing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, step, said",
    [
        ("王强", "deferral_form", []),
        ("李娜", "done", ["utter_deferral_refused_recent_deferral", "utter_offer_human_review"]),
        ("张伟", "done", ["utter_deferral_refused_credit_card", "utter_offer_installment"]),
    ],
)
async def test_deferral_routing(name, step, said):
    messages, events = await run(ActionRouteRequest(), make_tracker("我想延期", "request_deferral", as_customer(name)))
    assert slot_values(events)["next_step"] == step
    assert responses(messages) == said
    if step == "deferral_form":
        assert slot_values(events)["chosen_loan_id"] == loan_id(name)


@pytest.mark.parametrize(
    "name, step", [("张伟", "card_installment_form"), ("王强", "negotiated_plan_form"), ("李娜", "negotiated_plan_form")]
)
async def test_installment_routing(name, step):
    _, events = await run(ActionRouteRequest(), make_tracker("能分期吗", "request_installment", as_customer(name)))
    assert slot_values(events)["next_step"] == step


async def test_promise_is_prefilled_from_the_message():
    tracker = make_tracker(
        "我下周五一定还三千块", "promise_to_pay", as_customer("王强"),
        entities=[{"entity": "date", "value": "下周五"}, {"entity": "amount", "value": "三千块"}],
    )
    _, events = await run(ActionRouteRequest(), tracker)
    values = slot_values(events)
    assert values["next_step"] == "promise_form" and values["promise_amount"] == "3000.00"
    assert 0 < (datetime.fromisoformat(values["promise_date"]).date() - today_in_china()).days <= 13


async def test_promise_above_the_overdue_is_not_prefilled():
    tracker = make_tracker("明天还五万", "promise_to_pay", as_customer("李娜"))
    _, events = await run(ActionRouteRequest(), tracker)
    values = slot_values(events)
    assert values["promise_amount"] is None and values["promise_date"]


async def test_unverified_remedy_goes_through_identity_first():
    _, events = await run(ActionRouteRequest(), make_tracker("我想分期", "request_installment"))
    assert SlotSet("next_step", "identity") in events


# --- forms ------------------------------------------------------------------------


def in_form(form: str, slot: str, text: str, intent: str = "inform", **slots):
    return make_tracker(text, intent, {**slots, "requested_slot": slot}, active_loop=form)


@pytest.mark.parametrize("text, months", [("2个月", 2), ("两个月", 2), ("３", 3), ("一个月吧", 1)])
async def test_deferral_months_accepted(text, months):
    _, events = await run(ValidateDeferralForm(), in_form("deferral_form", "deferral_months", text))
    assert SlotSet("deferral_months", months) in events


async def test_deferral_months_out_of_range_is_asked_again_then_given_up():
    messages, events = await run(ValidateDeferralForm(), in_form("deferral_form", "deferral_months", "5个月"))
    assert responses(messages) == ["utter_deferral_months_expected"]
    assert messages[0]["min_months"] == 1 and messages[0]["max_months"] == 3
    assert events == [SlotSet("bad_answers", 1)]
    messages, events = await run(
        ValidateDeferralForm(), in_form("deferral_form", "deferral_months", "半年", bad_answers=2)
    )
    assert responses(messages) == ["utter_form_gave_up"]
    assert SlotSet("form_abandoned", True) in events and SlotSet("requested_slot", None) in events


async def test_another_question_in_a_form_is_left_to_the_conversation():
    tracker = in_form("deferral_form", "deferral_months", "罚息怎么算", intent="ask_penalty")
    assert await run(ValidateDeferralForm(), tracker) == ([], [])


async def test_promise_amount_above_what_is_owed_is_refused():
    slots = as_customer("李娜", chosen_loan_id=loan_id("李娜"))
    messages, events = await run(ValidatePromiseForm(), in_form("promise_form", "promise_amount", "五千", **slots))
    assert responses(messages) == ["utter_promise_amount_above_overdue"]
    assert messages[0]["total"] == "2,193.83元"


async def test_negotiated_amount():
    slots = as_customer("王强", chosen_loan_id=loan_id("王强"))
    _, events = await run(ValidateNegotiatedPlanForm(),
                          in_form("negotiated_plan_form", "affordable_amount", "每月大概3000", **slots))
    assert SlotSet("affordable_amount", "3000.00") in events


async def test_instalment_options_are_buttons_with_figures(domain):
    tracker = make_tracker("分期", "request_installment", as_customer("张伟", chosen_loan_id=loan_id("张伟")))
    dispatcher_messages, _ = await run(ActionAskInstallmentTerm(), tracker, domain)
    titles = [button["title"] for button in dispatcher_messages[0]["buttons"]]
    assert "6期：每月还2,072.00元，手续费共432.00元" in titles
    assert "12期：每月还1,072.00元，手续费共864.00元" in titles
    assert len(titles) == 4 and dispatcher_messages[0]["balance"] == "12,000.00元"


# --- submitting -------------------------------------------------------------------


async def test_confirmed_deferral_is_stored_once():
    slots = as_customer("王强", chosen_loan_id=loan_id("王强"), deferral_reason="生意周转困难",
                        deferral_months=2, confirmation=True)
    messages, events = await run(ActionSubmitDeferral(), make_tracker("确认", "affirm", slots))
    [stored] = requests_of("王强", "deferral")
    assert re.fullmatch(r"YQ\d{8}-\d{6}", stored.reference)
    assert (stored.status, stored.months, stored.reason) == ("pending_review", 2, "生意周转困难")
    assert messages[0]["reference"] == stored.reference
    assert SlotSet("chosen_loan_id", None) in events  # the flow is cleared

    again, _ = await run(ActionSubmitDeferral(), make_tracker("确认", "affirm", slots))
    assert responses(again) == ["utter_request_exists"] and again[0]["reference"] == stored.reference
    assert len(requests_of("王强", "deferral")) == 1

    _, events = await run(ActionRouteRequest(), make_tracker("我要延期", "request_deferral", as_customer("王强")))
    assert slot_values(events)["next_step"] == "done"


async def test_declined_confirmation_stores_nothing():
    slots = as_customer("张伟", chosen_loan_id=loan_id("张伟"), installment_term=12, confirmation=False)
    messages, _ = await run(ActionSubmitCardInstallment(), make_tracker("不了", "deny", slots))
    assert responses(messages) == ["utter_request_cancelled"]
    assert requests_of("张伟", "card_installment") == []


async def test_card_instalment_is_stored_with_its_figures():
    slots = as_customer("张伟", chosen_loan_id=loan_id("张伟"), installment_term=6, confirmation=True)
    messages, _ = await run(ActionSubmitCardInstallment(), make_tracker("确认", "affirm", slots))
    [stored] = requests_of("张伟", "card_installment")
    assert (stored.months, stored.monthly_payment, stored.total_fee, stored.status) == (
        6, Decimal("2072.00"), Decimal("432.00"), "active")
    assert (messages[0]["monthly_payment"], messages[0]["total_fee"]) == ("2,072.00元", "432.00元")


async def test_partial_promise_states_the_shortfall():
    promised = (today_in_china() + timedelta(days=3)).isoformat()
    slots = as_customer("李娜", chosen_loan_id=loan_id("李娜"), promise_date=promised,
                        promise_amount="2000.00", confirmation=True)
    messages, _ = await run(ActionSubmitPromise(), make_tracker("确认", "affirm", slots))
    # A finished request ends with the satisfaction question (满意度), asked once.
    assert responses(messages) == ["utter_promise_saved", "utter_promise_shortfall", "utter_charges_accrue_until_paid",
                                   "utter_ask_satisfaction"]
    assert messages[1]["shortfall"] == "193.83元"
    [stored] = requests_of("李娜", "promise_to_pay")
    assert (stored.amount, stored.target_date.isoformat()) == (Decimal("2000.00"), promised)


@pytest.mark.parametrize("name, said", [("李娜", "utter_waiver_refused_too_long_overdue"),
                                        ("王强", "utter_waiver_refused_no_charges")])
async def test_waiver_refused_with_the_reason(name, said):
    messages, _ = await run(ActionRouteRequest(), make_tracker("能减免吗", "request_penalty_waiver", as_customer(name)))
    assert responses(messages)[0] == said
    assert requests_of(name, "penalty_waiver") == []


async def test_waiver_for_zhang_wei_is_stored_once():
    tracker = make_tracker("罚息能免吗", "request_penalty_waiver", as_customer("张伟"))
    messages, _ = await run(ActionRouteRequest(), tracker)
    assert responses(messages) == ["utter_waiver_submitted"] and messages[0]["charges"] == "132.00元"
    again, _ = await run(ActionRouteRequest(), tracker)
    assert responses(again) == ["utter_request_exists"]
    assert len(requests_of("张伟", "penalty_waiver")) == 1


async def test_cancel_clears_the_flow():
    messages, events = await run(ActionCancelRequest(), make_tracker("算了", "deny", {"deferral_months": 2}))
    assert responses(messages) == ["utter_request_cancelled"] and SlotSet("deferral_months", None) in events


async def test_payment_not_found_starts_a_trace_then_found_is_explained():
    tracker = make_tracker("我已经还了", "report_payment_made", as_customer("王强"))
    _, events = await run(ActionRouteRequest(), tracker)
    assert slot_values(events)["next_step"] == "payment_trace_form"
    with session_scope() as session:
        session.add(Payment(loan_id=loan_id("王强"), amount=Decimal("8500.00"), channel="手机银行",
                            paid_at=datetime.now(CHINA) - timedelta(hours=2)))
    messages, events = await run(ActionRouteRequest(), tracker)
    assert slot_values(events)["next_step"] == "done"
    assert responses(messages) == ["utter_payment_found"] and messages[0]["amount"] == "8,500.00元"
