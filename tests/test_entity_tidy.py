"""What the entity stage hands the actions: DIET's entities, the rules', mended (bank_nlu/entity_tidy.py)."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from bank_nlu.spacy_entities import SpacyEntityRuler, build_pipeline


@pytest.fixture(scope="module")
def ruler():
    return SpacyEntityRuler(build_pipeline())


def entities(ruler, text, diet=()):
    """``diet``: (label, span) pairs as if DIET had found them."""
    found = [{"entity": label, "start": text.index(span), "end": text.index(span) + len(span), "value": span,
              "extractor": "DIETClassifier"} for label, span in diet]
    message = Message(data={"text": text, "entities": found})
    ruler.process([message])
    return {(e["entity"], text[e["start"]:e["end"]]) for e in message.get("entities")}


@pytest.mark.parametrize("text, expected", [
    ("我下周一定还", {("date", "下周")}),
    ("下星期一定还清", {("date", "下星期")}),
    ("下周一还两千", {("date", "下周一"), ("amount", "两千")}),
    ("3月20号", {("date", "3月20号")}),
    ("这个月25号还", {("date", "这个月25号")}),
    ("保证这个月底前全部还上", {("date", "这个月底")}),
    ("我今天下午就去还", {("date", "今天下午")}),
    ("明早就去银行存钱", {("date", "明早")}),
    ("果子要九月份才卖得出去", {("date", "九月份")}),
    ("三年后记录能消除吗", set()),
    ("下午好，打扰一下", set()),
])
def test_dates(ruler, text, expected):
    assert entities(ruler, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("5000", {("amount", "5000")}),
    ("5000吧", {("amount", "5000")}),
    ("我才欠500，怎么罚了80多", {("amount", "500"), ("amount", "80多")}),
    ("再这样我打12378投诉你们", set()),
    ("身份证最后4位 0019", set()),
    ("好嘞 886", set()),
    ("上了征信5年才消除是真的吗", set()),
    ("能不能把多扣的那150退回来", {("amount", "150")}),
    ("到账当天我就把邮享贷的4800还上", {("loan_type", "邮享贷"), ("amount", "4800")}),
    ("我今年68了，就靠一点养老金", set()),
])
def test_a_number_is_money_only_where_money_is_spoken_of(ruler, text, expected):
    assert entities(ruler, text) == expected


def test_diet_mistakes_are_mended(ruler):
    assert entities(ruler, "我早上转了3000", diet=[("date", "3000")]) == {("date", "早上"), ("amount", "3000")}
    assert entities(ruler, "我20号还1.2w", diet=[("date", "1.2")]) == {("date", "20号"), ("amount", "1.2w")}
    assert entities(ruler, "还了5千", diet=[("amount", "5"), ("amount", "千")]) == {("amount", "5千")}
    assert entities(ruler, "我过两天一定补上", diet=[("date", "两天")]) == {("date", "过两天")}
    assert entities(ruler, "公司裁员把我裁了", diet=[("hardship_reason", "公司"), ("hardship_reason", "裁")]) == {
        ("hardship_reason", "裁员")}


@pytest.mark.parametrize("text, expected", [
    ("钱都存进卡里了", set()),
    ("怎么绑定还款卡", set()),
    ("卡上欠的明天还", {("loan_type", "卡"), ("date", "明天")}),
    ("帮忙看看我信用咔欠款多少", {("loan_type", "信用咔")}),
    ("我的 credit card 现在欠多少", {("loan_type", "credit card")}),
])
def test_the_card_owed_not_the_card_paid_from(ruler, text, expected):
    assert entities(ruler, text) == expected


@pytest.mark.parametrize("text, reason", [
    ("我老婆生孩子花了好多钱", "生孩子"),
    ("厂子停工两个月了", "停工"),
    ("我爸出车祸了", "出车祸"),
    ("孩子得了白血病，天天要钱", "白血病"),
    ("老公生意失败了", "生意失败"),
])
def test_hardship_reasons_from_the_lexicon(ruler, text, reason):
    assert ("hardship_reason", reason) in entities(ruler, text)
