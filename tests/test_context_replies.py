"""Short replies read in context (overdue/context_replies.py): a yes or no inside a confirmation,
a value for the form's question, "为什么" and "还有别的办法吗"."""
from datetime import date

import pytest

from overdue.context_replies import answers_question, asks_for_options, asks_why, declines_with_reason, yes_or_no

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("text, said", [
    ("这个方案我不接受", False), ("太贵了", False), ("不想分期", False), ("算了太贵了，有没有便宜点的办法", False),
    ("不用了", False), ("取消", False), ("先不办了", False),
    ("好的", True), ("确认", True), ("可以", True), ("好的就这样", True), ("嗯嗯好", True), ("确认提交", True),
    ("我不想活了", None), ("我要投诉你们", None), ("为什么", None), ("分期会上征信吗", None), ("", None),
])
def test_yes_or_no(text, said):
    assert yes_or_no(text) is said


@pytest.mark.parametrize("text, offers", [
    ("太贵了", True), ("这个方案我不接受", True), ("有没有便宜点的", True), ("不想分期", True),
    ("不用了", False), ("取消", False), ("好的", False),
])
def test_a_no_with_a_reason_offers_the_options(text, offers):
    assert declines_with_reason(text) is offers


@pytest.mark.parametrize("text, why", [
    ("为什么", True), ("为什么不行", True), ("为啥不行啊", True), ("凭什么收这么多", True),
    ("为什么我的卡被停了还要收年费然后利息这么高", False), ("怎么还款", False), ("好的", False),
])
def test_asks_why(text, why):
    assert asks_why(text) is why


@pytest.mark.parametrize("text, options", [
    ("还有别的办法吗", True), ("有没有便宜点的", True), ("还有其他办法吗？", True), ("那怎么办", True),
    ("我想分期", False), ("我月底还不上会怎样", False),
])
def test_asks_for_options(text, options):
    assert asks_for_options(text) is options


@pytest.mark.parametrize("slot, text, answers", [
    ("deferral_months", "三个月就行", True), ("deferral_months", "2个月", True), ("deferral_months", "3", True),
    ("installment_term", "6期吧", True), ("installment_term", "我想问下分期会上征信吗", False),
    ("affordable_amount", "每月两千左右", True), ("promise_date", "下周五", True),
    ("promise_date", "下周五我还不上会怎样", False), ("promise_amount", "3000", True),
    ("deferral_months", "这个方案我不接受", False), ("confirmation", "太贵了", True),
    ("confirmation", "分期手续费怎么算", False), ("deferral_reason", "生病", False),
])
def test_answers_the_form_question(slot, text, answers):
    assert answers_question(slot, text, TODAY) is answers
