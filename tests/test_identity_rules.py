"""The pure rules for codes, lockouts and bindings (overdue/identity_rules.py), with the
policy's own values."""
from datetime import datetime, timedelta

import pytest

from overdue import identity_rules as rules_
from overdue.clock import CHINA
from overdue.bank_rules import load_bank_rules

RULES = load_bank_rules().identity
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=CHINA)


def test_policy_values():
    assert (RULES.code_digits, RULES.code_valid_minutes, RULES.code_max_wrong) == (6, 5, 3)
    assert (RULES.resend_after_seconds, RULES.codes_per_hour) == (60, 5)
    assert (RULES.customer_max_failures, RULES.customer_window_hours, RULES.customer_lock_hours) == (5, 24, 24)
    assert (RULES.source_max_failures, RULES.source_window_minutes, RULES.wechat_binding_days) == (10, 60, 180)


def test_codes_are_six_digits_and_only_their_salted_hash_is_kept():
    codes = {rules_.new_code(RULES) for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 40
    code = rules_.new_code(RULES)
    first, second = rules_.hash_code(code), rules_.hash_code(code)
    assert code not in first and first != second  # salted: equal codes do not look equal
    assert rules_.code_matches(code, first) and rules_.code_matches(code, second)
    assert not rules_.code_matches(str((int(code) + 1) % 10**6).zfill(6), first)
    assert not rules_.code_matches(code, rules_.hash_code(code, b"pepper"))
    assert not rules_.code_matches(code, "garbage")


def test_a_code_lives_five_minutes():
    assert rules_.code_expires_at(NOW, RULES) == NOW + timedelta(minutes=5)


@pytest.mark.parametrize("sent_seconds_ago, refusal", [
    ([], None),
    ([59], ("too_soon", 2)),
    ([61], None),
    ([61, 200, 400, 800, 1600], ("hourly_limit", 3600 - 1600 + 1)),
    ([61, 200, 400, 800, 3601], None),  # the oldest left the hour
])
def test_resend_limits(sent_seconds_ago, refusal):
    found = rules_.resend_refusal([NOW - timedelta(seconds=s) for s in sent_seconds_ago], NOW, RULES)
    assert (found.reason, found.wait_seconds) == refusal if refusal else found is None


def test_customer_lock_after_five_and_afresh_after_a_lift():
    assert rules_.customer_lock_until(4, NOW, RULES) is None
    assert rules_.customer_lock_until(5, NOW, RULES) == NOW + timedelta(hours=24)
    lifted = NOW - timedelta(hours=1)
    assert rules_.customer_window_start(NOW, RULES) == NOW - timedelta(hours=24)
    assert rules_.customer_window_start(NOW, RULES, lifted) == lifted


def test_sources_and_the_overall_alert():
    assert not rules_.source_blocked(9, RULES) and rules_.source_blocked(10, RULES)
    assert rules_.source_window_start(NOW, RULES) == NOW - timedelta(hours=1)
    assert rules_.overall_alert(RULES.alert_failures_per_hour, RULES)
    assert not rules_.overall_alert(RULES.alert_failures_per_hour - 1, RULES)


def test_a_binding_is_trusted_for_180_days():
    assert rules_.binding_valid(NOW - timedelta(days=179), NOW, RULES)
    assert not rules_.binding_valid(NOW - timedelta(days=180), NOW, RULES)
    assert not rules_.binding_valid(None, NOW, RULES)


@pytest.mark.parametrize("text, intent", [
    ("解绑", "unbind_wechat"), (" 解绑。", "unbind_wechat"), ("我想解绑微信", None),
    ("重新发送", "inform"), ("没收到", "inform"), ("重新发送验证码！", "inform"), ("我没收到钱", None),
])
def test_exact_commands_of_the_identity_journey(text, intent):
    from bank_nlu.reminder_replies import reply_intent

    assert reply_intent(text, load_bank_rules().reminders) == intent
