"""The scheduler day by day on a fake clock: a loan database of its own, a stand-in for
Rasa's HTTP API, and the fake WeChat API on loopback for the template messages."""
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from overdue.clock import CHINA
from overdue.bank_rules import load_bank_rules
from console.tickets import customer_panel
from launcher import ROOT
from loandb.models import Customer, HandoffTicket, ScheduleRow, ServiceRequest
from loandb.migrate import upgrade as create_schema
from loandb.session import get_engine, session_scope
from loandb import reminder_store as store
from channels import web_reminders as web
from overdue.reminder_rules import Contact, Decision, Occasion
from reminders.scheduler import main, parse_now, run_once
from reminders.sending import WeChatTemplates
from tests.conftest import POSTGRES_URL, WECHAT_APP_ID, _postgres_available
from tests.reminder_helpers import FakeRasa, add_customer, reminders_of, web_conversation

DUE = date(2026, 12, 10)
TEMPLATE = "TPL_REPAYMENT_REMINDER"


def at(day: date, clock: str = "10:00") -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=CHINA)


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not _postgres_available(), reason="PostgreSQL not answering"))])
def db(request, tmp_path, monkeypatch):
    """An empty loan database of this test's own, as LOAN_DB_URL: a SQLite file, or a
    throwaway schema on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'loans.db'}"
    else:
        schema = f"rem_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    create_schema(url)
    monkeypatch.setenv("LOAN_DB_URL", url)
    yield url
    if request.param == "postgresql":
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="module")
def policy():
    return load_bank_rules()


@pytest.fixture
def wechat(fake_wechat_api):
    return WeChatTemplates(WECHAT_APP_ID, "test-secret", TEMPLATE, fake_wechat_api.base_url)


@pytest.fixture
def openid():
    return f"oREM_{uuid.uuid4().hex[:12]}"


def sent(url, customer_id):
    return [(r.days_from_due, r.occasion) for r in reminders_of(url, customer_id) if r.status == "sent"]


def skips(url, customer_id):
    return [(r.days_from_due, r.reason) for r in reminders_of(url, customer_id) if r.status == "skipped"]


def test_two_weeks_of_reminders_day_by_day(db, policy, wechat, fake_wechat_api, openid):
    with session_scope() as session:
        on_wechat, _ = add_customer(session, "陈静", DUE, openid=openid)
        on_web, _ = add_customer(session, "刘洋", DUE)
        web_conversation(session, on_web, "web-session-liuyang", at(day(-20)))
        unreachable, _ = add_customer(session, "周敏", DUE)
    rasa = FakeRasa()
    for offset in range(-5, 10):
        run_once(at(day(offset)), policy, rasa, wechat)
        run_once(at(day(offset), "10:15"), policy, rasa, wechat)  # the next look finds nothing new

    assert sent(db, on_wechat) == [(-3, "due_soon"), (1, "overdue"), (3, "grace_last_day"), (7, "overdue")]
    assert rasa.intents_to(openid) == ["EXTERNAL_due_soon"] + ["EXTERNAL_overdue_reminder"] * 3
    templates = fake_wechat_api.templates_to(openid)
    assert [t["data"]["keyword3"]["value"] for t in templates] == ["2026年12月10日"] * 4
    assert all(t["template_id"] == TEMPLATE for t in templates)
    # Before the due date the instalment; in grace what it is; after grace with penalty interest
    # (5,250.00 x 4.35% / 360 x 1.5 x 7 days = 6.66).
    assert [t["data"]["keyword2"]["value"] for t in templates] == ["5,250.00元"] * 3 + ["5,256.66元"]
    assert "宽限期的最后一天" in templates[2]["data"]["first"]["value"]
    assert "退订" in templates[0]["data"]["remark"]["value"]

    # The web customer's wait for the next opening; one not opened in time is withdrawn.
    web_rows = [(r.days_from_due, r.status, r.reason) for r in reminders_of(db, on_web)]
    assert web_rows == [(-3, "expired", "not_opened"), (1, "expired", "superseded"),
                        (3, "expired", "not_opened"), (7, "waiting", None)]
    assert rasa.intents_to("web-session-liuyang") == []  # only when they open the chat
    assert skips(db, unreachable) == [(-3, "no_channel"), (1, "no_channel"), (3, "no_channel"), (7, "no_channel")]


def test_a_rest_customer_finds_the_reminder_in_their_conversation(db, policy, wechat):
    with session_scope() as session:
        customer, _ = add_customer(session, "何平", DUE)
        web_conversation(session, customer, "app-conversation-1", at(day(-30)), channel="rest")
    rasa = FakeRasa()
    run_once(at(day(1)), policy, rasa, wechat)
    assert sent(db, customer) == [(1, "overdue")]
    assert rasa.intents_to("app-conversation-1") == ["EXTERNAL_overdue_reminder"]


def test_quiet_hours_then_the_morning(db, policy, wechat, fake_wechat_api, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
    rasa = FakeRasa()
    for clock in ("00:30", "07:59", "07:45"):
        run_once(at(day(1), clock), policy, rasa, wechat)
    assert skips(db, customer) == [(1, "quiet_hours")]  # recorded once, not at every look
    assert fake_wechat_api.templates_to(openid) == []
    run_once(at(day(1), "08:00"), policy, rasa, wechat)
    assert sent(db, customer) == [(1, "overdue")]
    run_once(at(day(3), "21:30"), policy, rasa, wechat)
    assert skips(db, customer)[-1] == (3, "quiet_hours") and len(fake_wechat_api.templates_to(openid)) == 1


def test_one_a_day_and_three_a_week_across_loans(db, policy, wechat, openid):
    with session_scope() as session:
        # Two loans due two days apart: their reminder days meet on DUE+3.
        customer, [first, second] = add_customer(session, "陈静", DUE, openid=openid, loans=2, apart=2)
    rasa = FakeRasa()
    for offset in range(0, 9):
        run_once(at(day(offset)), policy, rasa, wechat)
    rows = sorted(reminders_of(db, customer), key=lambda r: (r.due_date + timedelta(days=r.days_from_due),
                                                             r.status != "sent"))
    assert [(r.loan_id, r.days_from_due, r.status, r.reason) for r in rows] == [
        (first, 1, "sent", None),
        # Both due on DUE+3: the more overdue goes, the other waits for another day.
        (first, 3, "sent", None), (second, 1, "skipped", "daily_limit"),
        (second, 3, "sent", None),
        # The third in seven days was DUE+5: DUE+7 would be a fourth.
        (first, 7, "skipped", "weekly_limit"),
    ]


def test_no_reminder_while_a_promise_stands(db, policy, wechat, openid):
    with session_scope() as session:
        customer, [loan] = add_customer(session, "陈静", DUE, openid=openid)
        session.add(ServiceRequest(reference="YQ-TEST-1", kind="promise_to_pay", status="active",
                                   customer_id=customer, loan_id=loan, created_at=at(day(2)),
                                   target_date=day(7), amount=Decimal("5250.00")))
    rasa = FakeRasa()
    run_once(at(day(3)), policy, rasa, wechat)
    run_once(at(day(7)), policy, rasa, wechat)
    assert skips(db, customer) == [(3, "promise_pending"), (7, "promise_pending")]
    run_once(at(day(7)), policy, rasa, wechat)
    assert sent(db, customer) == []
    with session_scope() as session:  # the promised day passed, unpaid: reminders resume
        session.execute(select(ServiceRequest)).scalar_one().target_date = day(6)
    run_once(at(day(7), "11:00"), policy, rasa, wechat)
    assert sent(db, customer) == [(7, "overdue")]


def test_no_reminder_while_a_person_has_the_customer(db, policy, wechat, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
        # Not yet verified in that conversation: the ticket knows only the openid.
        session.add(HandoffTicket(conversation_id=openid, channel="wechat", reason="customer_request", priority=3,
                                  status="open", summary="{}", created_at=at(day(0))))
    rasa = FakeRasa()
    run_once(at(day(1)), policy, rasa, wechat)
    assert skips(db, customer) == [(1, "ticket_open")] and rasa.triggered == []
    with session_scope() as session:
        session.execute(select(HandoffTicket)).scalar_one().status = "resolved"
    run_once(at(day(1), "11:00"), policy, rasa, wechat)
    assert sent(db, customer) == [(1, "overdue")]


def test_opted_out_customers_get_none_until_they_resume(db, policy, wechat, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
        store.set_opted_out(session, customer, True, openid, at(day(0)))
    rasa = FakeRasa()
    run_once(at(day(1)), policy, rasa, wechat)
    assert skips(db, customer) == [(1, "opted_out")]
    with session_scope() as session:
        store.set_opted_out(session, customer, False, openid, at(day(2)))
    run_once(at(day(3)), policy, rasa, wechat)
    assert sent(db, customer) == [(3, "grace_last_day")]


def test_a_customer_in_conversation_is_not_interrupted(db, policy, wechat, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
    rasa = FakeRasa()
    rasa.states[openid] = (at(day(1), "09:50"), False)
    run_once(at(day(1)), policy, rasa, wechat)
    assert skips(db, customer) == [(1, "customer_chatting")] and rasa.triggered == []
    run_once(at(day(1), "11:00"), policy, rasa, wechat)
    assert sent(db, customer) == [(1, "overdue")]


def test_a_refused_send_is_retried_then_given_up(db, policy, wechat, fake_wechat_api):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid="o43004")  # no longer follows the account
    rasa = FakeRasa()
    for clock in ("10:00", "10:15", "10:30", "10:45", "11:00"):
        run_once(at(day(1), clock), policy, rasa, wechat)
    rows = reminders_of(db, customer)
    assert [(r.status, r.reason) for r in rows] == [("failed", "wechat_43004")] * 3 + [("skipped", "send_failed")]
    assert all(r.claim is None for r in rows)


def test_wechat_not_configured_is_a_failure_with_its_reason(db, policy, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
    run_once(at(day(1)), policy, FakeRasa(), None)
    assert [(r.status, r.reason) for r in reminders_of(db, customer)] == [("failed", "wechat_not_configured")]


def test_a_paid_instalment_ends_its_reminders(db, policy, wechat, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
    rasa = FakeRasa()
    run_once(at(day(1)), policy, rasa, wechat)
    with session_scope() as session:
        row = session.execute(select(ScheduleRow)).scalar_one()
        row.principal_paid, row.interest_paid, row.settled_on = row.principal, row.interest, day(2)
    run_once(at(day(3)), policy, rasa, wechat)
    run_once(at(day(7)), policy, rasa, wechat)
    assert sent(db, customer) == [(1, "overdue")] and skips(db, customer) == []


def test_one_occasion_is_claimed_once_even_by_two_schedulers(db, openid):
    with session_scope() as session:
        customer, [loan] = add_customer(session, "陈静", DUE, openid=openid)
    decision = Decision(customer, Occasion(loan, "overdue", DUE, 1), Contact("wechat", openid))
    with session_scope() as session:
        store.claim(session, decision, at(day(1)))
    with pytest.raises(IntegrityError):
        with session_scope() as session:
            store.claim(session, decision, at(day(1)))


def test_a_waiting_web_reminder_is_taken_once_and_only_while_still_true(db, policy, wechat, monkeypatch):
    with session_scope() as session:
        customer, _ = add_customer(session, "刘洋", DUE)
        web_conversation(session, customer, "web-session-a", at(day(-20)))
    run_once(at(day(1)), policy, FakeRasa(), wechat)
    monkeypatch.setenv("BANK_BUSINESS_DATE", day(2).isoformat())
    [(reminder_id, occasion)] = web.take_waiting("web-session-a")
    assert occasion == "overdue"
    assert web.take_waiting("web-session-a") == []  # a second tab opening at once
    web.settle(reminder_id, delivered=True)
    assert [r.status for r in reminders_of(db, customer)] == ["delivered"]

    run_once(at(day(3)), policy, FakeRasa(), wechat)
    with session_scope() as session:
        row = session.execute(select(ScheduleRow)).scalar_one()
        row.principal_paid, row.interest_paid = row.principal, row.interest
    monkeypatch.setenv("BANK_BUSINESS_DATE", day(4).isoformat())
    assert web.take_waiting("web-session-a") == []
    assert [(r.status, r.reason) for r in reminders_of(db, customer)][-1] == ("expired", "paid")


def test_the_agent_sees_the_reminders_on_the_customer_panel(db, policy, wechat, openid):
    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE, openid=openid)
    rasa = FakeRasa()
    run_once(at(day(1), "22:00"), policy, rasa, wechat)
    run_once(at(day(3)), policy, rasa, wechat)
    with session_scope() as session:
        panel = customer_panel(session, session.get(Customer, customer))
    assert panel["reminders"] == [
        {"at": "12-13 10:00", "occasion": "宽限期最后一天（逾期第3天）", "channel": "微信", "status": "已发送",
         "reason": ""},
        {"at": "12-11 22:00", "occasion": "逾期第1天", "channel": "微信", "status": "未发送", "reason": "夜间免打扰"},
    ]
    page = Environment(loader=FileSystemLoader(str(ROOT / "console" / "templates")), autoescape=True).get_template(
        "ticket.html").render(agent=None, csrf="x", transcript=[], customer=panel,
                              ticket={"id": 1, "reason": "", "priority": 3, "status": "open", "status_words": "",
                                      "channel": "wechat", "summary": {}, "notes": []})
    assert "还款提醒" in page and "夜间免打扰" in page and "宽限期最后一天" in page


def test_the_command_runs_once_as_of_a_given_moment(db, monkeypatch, capsys, openid):
    with session_scope() as session:
        add_customer(session, "陈静", DUE, openid=openid)
    rasa = FakeRasa()
    monkeypatch.setattr("reminders.scheduler.RasaConversations", lambda: rasa)
    monkeypatch.delenv("WECHAT_REMINDER_TEMPLATE_ID", raising=False)
    main(["--once", "--now", f"{day(1).isoformat()}T22:30"])
    assert "quiet_hours 1" in capsys.readouterr().out
    assert parse_now("2026-12-11T10:00") == at(day(1))
    assert parse_now("2026-12-11T02:00+00:00") == at(day(1))
    with pytest.raises(SystemExit):
        main(["--now", "2026-12-11T10:00"])  # a moment only makes sense for one run


def test_a_card_statement_due_soon_is_told_with_its_minimum(db, policy):
    from loandb.models import CreditReportStatus, LoanAccount
    from loandb.snapshots import reminder_figures

    with session_scope() as session:
        customer, _ = add_customer(session, "陈静", DUE)
        card = LoanAccount(customer_id=customer, kind="credit_card", product_name="信用卡", account_tail="6217",
                           repayment_account_tail="1024", opened_on=day(-900),
                           schedule=[ScheduleRow(due_date=DUE, principal=Decimal("12000.00"), interest=Decimal("0"),
                                                 minimum_due=Decimal("1200.00"), principal_paid=Decimal("200.00"))],
                           credit_report=CreditReportStatus(status="clean"))
        session.add(card)
        session.flush()
        before = reminder_figures(session, card.id, DUE, day(-3), policy)
        after = reminder_figures(session, card.id, DUE, day(7), policy)
    assert (before.response, before.amount, before.minimum_due) == (
        "utter_reminder_due_soon_card", Decimal("11800.00"), Decimal("1000.00"))
    # 7 days on 11,800.00 at 0.05% a day, and 5% of the unpaid minimum 1,000.00.
    assert (after.stage, after.charges, after.amount) == ("overdue", Decimal("91.30"), Decimal("11891.30"))
