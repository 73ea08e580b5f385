import pytest

from bank_nlu.spacy_entities import build_pipeline, rule_entities


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def _found(nlp, text):
    return {(e["entity"], text[e["start"] : e["end"]], e["value"]) for e in rule_entities(nlp, text)}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("月底先还3000", {("date", "月底", "月底"), ("amount", "3000", "3000")}),
        ("我下周五还三千块", {("date", "下周五", "下周五"), ("amount", "三千块", "三千块")}),
        ("我15号还两千五百块", {("date", "15号", "15号"), ("amount", "两千五百块", "两千五百块")}),
        ("下个月5号还款", {("date", "下个月5号", "下个月5号")}),
        ("1.5万块钱", {("amount", "1.5万块钱", "1.5万块钱")}),
        ("我的信用卡逾期了", {("loan_type", "信用卡", "credit_card")}),
        ("房贷和车贷", {("loan_type", "房贷", "mortgage"), ("loan_type", "车贷", "car")}),
        ("分6个月", set()),
        ("身份证后四位302X手机尾号8866", set()),
        ("一下子还不上", set()),
    ],
)
def test_rule_entities(nlp, text, expected):
    assert _found(nlp, text) == expected
