"""The knowledge file behind "what happens if I do not pay" (consequences.yml) and the answers
built from it (overdue/consequences.py): every fact sourced, the general rule before the
identity check, each demo customer's own stage after it, and the tone."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select

from loandb.snapshots import customer_snapshot
from overdue.consequences import DEFAULT_PATH, answer, describes_misconduct, load_knowledge, topics_asked
from overdue.bank_rules import load_bank_rules
from loandb.models import Customer
from loandb.session import session_scope

# Words a calm, lawful answer never uses about the customer.
THREATS = re.compile(r"后果自负|必将|一定会(被)?(起诉|判刑|坐牢|上门|通知)|立即(起诉|上门)|走着瞧|抓你|曝光你|通知你的?(家人|单位)")
# A source names a law, a regulation, a judicial interpretation, or the bank's own records.
SOURCE = re.compile(r"《[^》]+》|policy\.yml|数据库|95580")


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


@pytest.fixture(scope="module")
def policy():
    return load_bank_rules()


@pytest.fixture(scope="module")
def demo(seeded_db_url, today, policy):
    with session_scope(seeded_db_url) as session:
        return {c.name: customer_snapshot(session, c.id, today, policy)
                for c in session.execute(select(Customer).where(Customer.is_demo)).scalars()}


def test_every_fact_in_the_file_carries_a_source(knowledge):
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    facts = [fact for topic in raw["topics"].values()
             for fact in [*(topic.get("general") or []), *(topic.get("personal") or {}).values()]]
    assert len(facts) == len(knowledge.facts()) > 10
    for fact in facts:
        assert fact.get("text", "").strip(), fact
        assert SOURCE.search(fact.get("source") or ""), f"no source for: {fact.get('text')}"
    assert SOURCE.search(raw["stages"]["source"])


def test_the_file_states_the_legal_lines(knowledge):
    # 恶意透支: more than three months after two effective demands, from 50,000 yuan (数额较大).
    assert knowledge.line_months == 3
    assert knowledge.line_amount == Decimal("50000.00")
    assert "妨害信用卡管理刑事案件" in knowledge.stages_source and "2018" in knowledge.stages_source


def test_no_fact_threatens(knowledge):
    for fact in knowledge.facts():
        assert not THREATS.search(fact.text), fact.text


@pytest.mark.parametrize("question, topic", [
    ("不还会被起诉吗", "lawsuit"), ("逾期会坐牢吗", "criminal"), ("你们会打电话给我家里人吗", "contacts"),
    ("会不会上门催收", "visits"), ("收到律师函了怎么办", "lawyer_letter"), ("还能坐高铁吗", "travel_limits"),
    ("会不会影响孩子上学", "children"), ("会上征信吗", "credit_report"),
])
def test_the_question_picks_its_topic(knowledge, question, topic):
    assert topic in topics_asked(question, knowledge)


def test_a_question_naming_nothing_gets_the_general_topics(knowledge):
    assert topics_asked("还不上会怎么样", knowledge) == list(knowledge.general_topics)


def test_before_the_identity_check_no_account_fact(knowledge, policy, today):
    said = answer("不还会坐牢吗", None, today, policy, knowledge)
    assert said and all(s.general for s in said)
    text = "".join(s.text for s in said)
    assert "5万元" in text and "3个月" in text and "元、逾期" not in text


def test_zhang_wei_is_far_from_the_lines_of_malicious_overdraft(demo, knowledge, policy, today):
    said = answer("信用卡不还会坐牢吗", demo["张伟"], today, policy, knowledge)
    own = [s.text for s in said if not s.general]
    assert own == ["您的信用卡（尾号6217）目前欠款12,000.00元、逾期12天，既没有到“两次有效催收后超过3个月”这一条，"
                   "金额也低于5万元的刑事立案起点。请放心，主动沟通、尽早还款就是最好的做法。"]
    # A card holder is not told about loans.
    assert not any("贷款因为困难" in s.text for s in said)


def test_a_card_past_three_months_is_told_plainly_and_calmly(demo, knowledge, policy, today):
    from dataclasses import replace

    late = replace(demo["张伟"][0], earliest_due_date=today - timedelta(days=100), days_overdue=100)
    [own] = [s.text for s in answer("会坐牢吗", [late], today, policy, knowledge) if not s.general]
    assert "已逾期100天" in own and not THREATS.search(own)


def test_li_na_is_told_a_loan_is_a_civil_debt(demo, knowledge, policy, today):
    said = answer("逾期会坐牢吗", demo["李娜"], today, policy, knowledge)
    assert any("本身不构成犯罪" in s.text for s in said)
    assert "您的邮享贷（尾号0932）是贷款，不涉及信用卡“恶意透支”；逾期还款是民事上的欠款问题。" in [s.text for s in said]


def test_wang_qiang_in_grace_hears_his_last_free_day(demo, knowledge, policy, today):
    [loan] = demo["王强"]
    said = [s.text for s in answer("会上征信吗", demo["王强"], today, policy, knowledge) if not s.general]
    day = loan.grace_period_end
    assert said == [f"您的经营贷（尾号5566）还在宽限期内：{day.year}年{day.month}月{day.day}日（含当天）之前还清8,500.00元，"
                    "不收罚息，也不会上报征信。"]


def test_li_na_reported_and_not_in_legal_collection(demo, knowledge, policy, today):
    said = [s.text for s in answer("会被起诉吗，会上征信吗", demo["李娜"], today, policy, knowledge) if not s.general]
    assert "您的邮享贷（尾号0932）目前逾期35天，没有进入法律程序。主动沟通、安排还款，是避免走到这一步最好的办法。" in said
    assert any("已逾期35天，超过了宽限期，已按规定报送征信" in s and "保留5年" in s for s in said)


@pytest.mark.parametrize("text, misconduct", [
    ("你们会打电话给我家人吗", False),
    ("会不会上门", False),
    ("不还会被起诉吗", False),
    ("你们昨天打电话给我妈，还骂她", True),
    ("催收的半夜上门威胁我", True),
    ("你们的人天天打我同事电话", True),
    ("催收员说要爆我通讯录", True),
])
def test_collection_that_breaks_the_rules_is_recognised(text, misconduct):
    assert describes_misconduct(text) is misconduct
