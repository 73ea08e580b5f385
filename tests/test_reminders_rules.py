"""Who is due which reminder on which day, and why the others are skipped: the pure rules
on a fake clock, with the limits from policy.yml."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from overdue.clock import CHINA
from overdue.bank_rules import load_bank_rules, within_quiet_hours
from overdue.reminder_rules import (
    DAILY_LIMIT,
    DUE_SOON,
    GRACE_LAST_DAY,
    LEGAL_COLLECTION,
    NO_CHANNEL,
    OPTED_OUT,
    OVERDUE,
    PROMISE_PENDING,
    QUIET_HOURS,
    SEND_FAILED,
    TICKET_OPEN,
    WEEKLY_LIMIT,
    Contact,
    CustomerFacts,
    LoanDue,
    conversation_busy,
    decide,
)

DUE = date(2026, 12, 10)
WECHAT = Contact("wechat", "oRULES")


@pytest.fixture(scope="module")
def policy():
    return load_bank_rules()


def at(day: date, clock: str = "10:00") -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=CHINA)


def loan_as_of(today: date, due: date = DUE, loan_id: int = 1, **extra) -> LoanDue:
    """A loan with one unpaid instalment due on ``due``, as seen on ``today``."""
    return LoanDue(loan_id, overdue_since=due if due < today else None, next_due=due if due >= today else None,
                   **extra)


def facts(today: date, **overrides) -> CustomerFacts:
    values = {"customer_id": 7, "loans": (loan_as_of(today),), "contact": WECHAT, **overrides}
    return CustomerFacts(**values)


def test_the_policy_file_holds_the_fair_collection_rules(policy):
    rules = policy.reminders
    assert rules.days_before_due == (3,) and rules.days_overdue == (1, 3, 7)
    assert (rules.quiet_start, rules.quiet_end) == (time(21, 0), time(8, 0))
    assert (rules.max_per_day, rules.max_per_week) == (1, 3)
    assert set(rules.opt_out_words) >= {"退订", "TD"}
    # Day 3 after the due date is the grace period's last day, with words of its own.
    assert policy.grace_period_days == 3


@pytest.mark.parametrize("offset, expected", [
    (-4, None), (-3, (DUE_SOON, -3)), (-2, None), (0, None),
    (1, (OVERDUE, 1)), (2, None), (3, (GRACE_LAST_DAY, 3)), (4, None), (7, (OVERDUE, 7)), (8, None), (30, None),
])
def test_who_gets_what_on_which_day(policy, offset, expected):
    today = DUE + timedelta(days=offset)
    decisions = decide(facts(today), at(today), policy)
    assert [(d.occasion.kind, d.occasion.days_from_due) for d in decisions] == ([expected] if expected else [])
    assert all(d.send and d.occasion.due_date == DUE for d in decisions)


def test_an_overdue_loan_gets_no_due_soon_note_for_its_next_instalment(policy):
    today = DUE + timedelta(days=1)
    loan = LoanDue(1, overdue_since=DUE, next_due=today + timedelta(days=3))
    assert [d.occasion.kind for d in decide(facts(today, loans=(loan,)), at(today), policy)] == [OVERDUE]


@pytest.mark.parametrize("clock, quiet", [
    ("07:59", True), ("08:00", False), ("12:30", False), ("20:59", False), ("21:00", True), ("23:30", True),
    ("00:00", True), ("03:00", True),
])
def test_no_messages_between_21_and_8_china_time(policy, clock, quiet):
    today = DUE + timedelta(days=1)
    [decision] = decide(facts(today), at(today, clock), policy)
    assert decision.reason == (QUIET_HOURS if quiet else None)


def test_quiet_hours_are_china_time_whatever_the_servers_zone(policy):
    # 13:30 in UTC is 21:30 in China.
    moment = datetime(2026, 12, 11, 13, 30, tzinfo=timezone.utc)
    [decision] = decide(facts(date(2026, 12, 11)), moment, policy)
    assert decision.reason == QUIET_HOURS
    assert within_quiet_hours(time(2, 0), policy.reminders) and not within_quiet_hours(time(9, 0), policy.reminders)


def test_at_most_one_a_day(policy):
    today = DUE + timedelta(days=1)
    [decision] = decide(facts(today, reached_on=(today,)), at(today), policy)
    assert decision.reason == DAILY_LIMIT
    # Yesterday's does not count against today.
    [decision] = decide(facts(today, reached_on=(today - timedelta(days=1),)), at(today), policy)
    assert decision.send


def test_two_loans_on_one_day_the_more_overdue_goes_first(policy):
    today = DUE + timedelta(days=7)
    loans = (loan_as_of(today, due=today - timedelta(days=1), loan_id=1), loan_as_of(today, loan_id=2))
    decisions = decide(facts(today, loans=loans), at(today), policy)
    assert [(d.occasion.loan_id, d.reason) for d in decisions] == [(2, None), (1, DAILY_LIMIT)]


def test_at_most_three_in_any_seven_days(policy):
    today = DUE + timedelta(days=7)
    three = tuple(today - timedelta(days=n) for n in (1, 3, 6))
    [decision] = decide(facts(today, reached_on=three), at(today), policy)
    assert decision.reason == WEEKLY_LIMIT
    # One of them eight days ago: only two in the last seven.
    two = tuple(today - timedelta(days=n) for n in (1, 3, 7))
    [decision] = decide(facts(today, reached_on=two), at(today), policy)
    assert decision.send


def test_none_after_a_promise_until_its_date_has_passed(policy):
    today = DUE + timedelta(days=3)
    [decision] = decide(facts(today, promised_until=today), at(today), policy)
    assert decision.reason == PROMISE_PENDING
    [decision] = decide(facts(today, promised_until=today - timedelta(days=1)), at(today), policy)
    assert decision.send


@pytest.mark.parametrize("overrides, reason", [
    ({"open_ticket": True}, TICKET_OPEN),
    ({"opted_out": True}, OPTED_OUT),
    ({"contact": None}, NO_CHANNEL),
    ({"failures": {f"7:1:{DUE.isoformat()}:+1": 3}}, SEND_FAILED),
])
def test_skipped_with_the_reason(policy, overrides, reason):
    today = DUE + timedelta(days=1)
    [decision] = decide(facts(today, **overrides), at(today), policy)
    assert (decision.send, decision.reason) == (False, reason)


def test_opting_out_wins_over_every_other_reason(policy):
    today = DUE + timedelta(days=1)
    [decision] = decide(facts(today, opted_out=True, open_ticket=True, contact=None), at(today, "23:00"), policy)
    assert decision.reason == OPTED_OUT


def test_a_loan_in_legal_collection_gets_no_reminder(policy):
    today = DUE + timedelta(days=7)
    [decision] = decide(facts(today, loans=(loan_as_of(today, in_legal_collection=True),)), at(today), policy)
    assert decision.reason == LEGAL_COLLECTION


def test_an_occasion_already_sent_is_not_decided_again(policy):
    today = DUE + timedelta(days=1)
    [decision] = decide(facts(today), at(today), policy)
    assert decide(facts(today, done=frozenset({decision.key})), at(today, "10:15"), policy) == []


def test_a_live_conversation_is_not_interrupted(policy):
    now = at(DUE)
    assert conversation_busy(now - timedelta(minutes=5), False, now, policy)
    assert not conversation_busy(now - timedelta(minutes=policy.reminders.busy_minutes + 1), False, now, policy)
    assert not conversation_busy(None, False, now, policy)
    assert conversation_busy(None, True, now, policy)  # a person has the conversation
