import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bank_nlu.normalizer import ChineseTextNormalizer, normalize, normalize_with_offsets


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("逾期記錄會影響徵信嗎", "逾期记录会影响征信吗"),
        ("我想申請延期還款", "我想申请延期还款"),
        ("下個月５號還３０００", "下个月5号还3000"),
        ("罚息怎么算！！！！", "罚息怎么算!"),
        ("在吗？？？", "在吗?"),
        ("救救我😭😭🙏", "救救我"),
        ("  你好   请问  ", "你好 请问"),
        ("😡😡", ""),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_long_message_keeps_its_end():
    story = "我去年做生意亏了很多钱，" * 200 + "能不能分期还"
    normalized = normalize(story)
    assert len(normalized) < 500
    assert normalized.endswith("能不能分期还")


def test_offsets_follow_removed_characters():
    text, offsets = normalize_with_offsets("😭月底还３０００")
    assert text == "月底还3000"
    assert text[offsets[1] : offsets[3]] == "月底"


def test_training_entities_stay_on_their_words():
    message = Message.build(
        text="😭😭下個月５號還",
        intent="promise_to_pay",
        entities=[{"start": 2, "end": 7, "value": "下個月５號", "entity": "date"}],
    )
    component = ChineseTextNormalizer()
    data = component.process_training_data(TrainingData([message]))
    example = data.training_examples[0]
    entity = example.get("entities")[0]
    assert example.get("text") == "下个月5号还"
    assert example.get("text")[entity["start"] : entity["end"]] == "下个月5号"
    assert entity["value"] == "下个月5号"  # not a synonym, so normalised with the text


def test_synonym_values_are_kept():
    message = Message.build(
        text="我的信用卡",
        intent="inform",
        entities=[{"start": 2, "end": 5, "value": "credit_card", "entity": "loan_type"}],
    )
    example = ChineseTextNormalizer().process_training_data(TrainingData([message])).training_examples[0]
    assert example.get("entities")[0]["value"] == "credit_card"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("👌", "好的"), ("👍👍", "好的"), ("🙏", "谢谢"), ("🙏🙏 ", "谢谢"), ("👋", "拜拜"), ("❌", "不"),
        ("好的👌", "好的"),  # beside words an emoji is dropped as before
        ("救救我🙏", "救救我"),  # 🙏 after a plea is "please"
        ("👍🙏", ""),  # two gestures that disagree say nothing certain
    ],
)
def test_emoji_only_gesture_replies_become_words(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("我要zrg", "我要转人工"), ("能不能FQ", "能不能分期"), ("会上zx吗", "会上征信吗"),
        ("我要ts你们", "我要投诉你们"), ("xyk欠多少", "信用卡欠多少"),
        ("thanks", "thanks"), ("ok", "ok"), ("hello zx", "hello 征信"),
        ("zxing", "zxing"),  # only a whole run of letters is an abbreviation
    ],
)
def test_pinyin_initials_of_key_words_are_spelled_out(raw, expected):
    assert normalize(raw) == expected


def test_spelled_out_abbreviations_keep_entity_offsets():
    message = Message.build(
        text="xyk月底还３０００",
        intent="promise_to_pay",
        entities=[{"start": 3, "end": 5, "value": "月底", "entity": "date"},
                  {"start": 6, "end": 10, "value": "３０００", "entity": "amount"}],
    )
    example = ChineseTextNormalizer().process_training_data(TrainingData([message])).training_examples[0]
    text = example.get("text")
    assert text == "信用卡月底还3000"
    assert [text[e["start"]:e["end"]] for e in example.get("entities")] == ["月底", "3000"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("88", "拜拜"), ("886", "拜拜"), (" 88 ", "拜拜"), ("3Q", "谢谢"), ("白白", "拜拜"),
        ("我还了88", "我还了88"),  # beside other words 88 is a sum
        ("8866", "8866"),  # four digits are an ID or phone tail
    ],
)
def test_whole_message_shorthand_becomes_its_word(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("嗯那个…请问302X", "302X"),
        ("额，6个月呢？", "6个月呢?"),
        ("麻烦问一下，信用卡那笔", "信用卡那笔"),
        ("嗯嗯，好的", "好的"),
        ("emmm 我想问下罚息怎么算", "罚息怎么算"),
        ("那个 那个 我想延期", "我想延期"),
        ("  嗯，在吗", "在吗"),
        # Words that begin like a filler are words.
        ("额度还有多少", "额度还有多少"),
        ("这个月能延期吗", "这个月能延期吗"),
        ("那个月的账单", "那个月的账单"),
        # Filler alone is the message: 嗯 is a yes.
        ("嗯", "嗯"), ("嗯嗯", "嗯嗯"), ("嗯，", "嗯,"), ("请问", "请问"), ("啊啊啊", "啊啊啊"),
    ],
)
def test_leading_filler_is_taken_off(raw, expected):
    assert normalize(raw) == expected


def test_test_sets_are_compared_as_typed():
    # The leak check's form: a filler-wrapped copy of a training message is not the message.
    assert normalize("嗯，好的", expand=False) == "嗯,好的"
    assert normalize("88", expand=False) == "88"


def test_entities_after_a_filler_stay_on_their_words():
    message = Message.build(
        text="嗯那个…我想月底还３０００",
        intent="promise_to_pay",
        entities=[{"start": 6, "end": 8, "value": "月底", "entity": "date"},
                  {"start": 9, "end": 13, "value": "３０００", "entity": "amount"}],
    )
    example = ChineseTextNormalizer().process_training_data(TrainingData([message])).training_examples[0]
    text = example.get("text")
    assert text == "我想月底还3000"
    assert [text[e["start"]:e["end"]] for e in example.get("entities")] == ["月底", "3000"]
