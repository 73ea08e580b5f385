"""The blend of DIET's intent scores with the TF-IDF regression (bank_nlu/intent_blend.py),
trained for real on a small data set, saved and loaded as the server loads it."""
import json

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bank_nlu.intent_blend import FILES, BlendedIntentClassifier

EXAMPLES = {
    "ask_penalty": ["罚息怎么算", "罚息是多少", "为什么扣了罚息", "滞纳金怎么算的", "罚息太高了怎么算的"],
    "request_deferral": ["我想延期还款", "能不能晚几天还", "可以延期吗", "申请延期", "宽限几天行吗"],
    "greet": ["你好", "在吗", "您好", "有人吗", "哈喽"],
}


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def _context():
    return ExecutionContext(GraphSchema({}), "test")


def _tokenized(messages):
    tokenizer = JiebaTokenizer.create(
        {**JiebaTokenizer.get_default_config(), "dictionary_path": None},
        None, Resource("tokenizer"), _context())
    tokenizer.process(messages)
    return messages


def _training_data():
    messages = [Message.build(text=text, intent=intent)
                for intent, texts in EXAMPLES.items() for text in texts]
    return TrainingData(_tokenized(messages))


def _message(text, diet_ranking=None):
    message = Message.build(text=text)
    if diet_ranking:
        ranking = [{"name": n, "confidence": c} for n, c in diet_ranking.items()]
        message.set("intent", ranking[0])
        message.set("intent_ranking", ranking)
    return _tokenized([message])[0]


@pytest.fixture
def trained(storage):
    resource = Resource("blend")
    component = BlendedIntentClassifier.create({}, storage, resource, _context())
    component.train(_training_data())
    return BlendedIntentClassifier.load({}, storage, resource, _context())


def test_the_regression_alone_reads_an_unseen_wording(trained):
    message = trained.process([_message("请问罚息怎么算的呢")])[0]
    assert message.get("intent")["name"] == "ask_penalty"


def test_the_blend_averages_diet_and_the_regression(trained):
    # DIET sure of the wrong intent, the regression of the right one: half of each.
    diet = {"greet": 0.9, "request_deferral": 0.1}
    message = trained.process([_message("我想延期还款", diet)])[0]
    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    alone = trained.process([_message("我想延期还款")])[0]
    regression = {r["name"]: r["confidence"] for r in alone.get("intent_ranking")}
    assert ranking["greet"] == pytest.approx(0.5 * 0.9 + 0.5 * regression["greet"])
    assert ranking["request_deferral"] == pytest.approx(0.5 * 0.1 + 0.5 * regression["request_deferral"])
    assert message.get("intent")["name"] == max(ranking, key=ranking.get)
    assert sum(ranking.values()) == pytest.approx(1.0)
    confidences = [r["confidence"] for r in message.get("intent_ranking")]
    assert confidences == sorted(confidences, reverse=True)


def test_diet_weight_is_configurable(storage):
    resource = Resource("blend-diet-only")
    component = BlendedIntentClassifier.create({"weight": 1.0}, storage, resource, _context())
    component.train(_training_data())
    loaded = BlendedIntentClassifier.load({"weight": 1.0}, storage, resource, _context())
    message = loaded.process([_message("我想延期还款", {"greet": 0.9, "request_deferral": 0.1})])[0]
    assert message.get("intent") == {"name": "greet", "confidence": pytest.approx(0.9)}


def test_empty_text_gets_a_low_confidence_answer_not_an_error(trained):
    message = trained.process([_message("")])[0]
    assert message.get("intent")["confidence"] < 0.6


def test_saved_as_plain_arrays_not_pickles(trained, storage):
    with storage.read_from(Resource("blend")) as directory:
        assert sorted(p.name for p in directory.iterdir()) == sorted(FILES)
        json.loads((directory / FILES[0]).read_text(encoding="utf-8"))
        with np.load(directory / FILES[1], allow_pickle=False) as arrays:  # no object arrays
            assert {name: arrays[name].dtype.kind for name in arrays.files} == {
                "char_idf": "f", "word_idf": "f", "coef": "f", "intercept": "f"}


def test_one_intent_trains_nothing_and_leaves_diet_alone(storage):
    resource = Resource("blend-one")
    component = BlendedIntentClassifier.create({}, storage, resource, _context())
    data = TrainingData(_tokenized([Message.build(text="你好", intent="greet"),
                                    Message.build(text="在吗", intent="greet")]))
    component.train(data)
    loaded = BlendedIntentClassifier.load({}, storage, resource, _context())
    message = loaded.process([_message("你好", {"greet": 0.7, "thank": 0.3})])[0]
    assert message.get("intent") == {"name": "greet", "confidence": 0.7}


def _trained_on(storage, intents):
    resource = Resource("blend-" + "-".join(intents))
    component = BlendedIntentClassifier.create({}, storage, resource, _context())
    data = TrainingData(_tokenized([Message.build(text=text, intent=intent)
                                    for intent in intents for text in EXAMPLES[intent]]))
    component.train(data)
    return BlendedIntentClassifier.load({}, storage, resource, _context())


@pytest.mark.parametrize("intents", [list(EXAMPLES), ["ask_penalty", "request_deferral"]])
@pytest.mark.parametrize("text", ["请问罚息怎么算的呢", "我想延期还款", "你好呀", "", "完全没见过的话ABC 123"])
def test_the_quick_scores_are_sklearns(storage, intents, text):
    """Multinomial with three intents or more, one logistic row with two: sklearn's figures."""
    from scipy.sparse import hstack

    from bank_nlu.intent_blend import _Scorer
    chars, words, regression = _trained_on(storage, intents)._model
    message = _message(text)
    tokens = "\x1f".join(token.text for token in message.get("text_tokens") or [])
    expected = regression.predict_proba(
        hstack([chars.transform([text]), words.transform([tokens])]).tocsr())[0]
    assert _Scorer(chars, words, regression).probabilities(text, tokens) == pytest.approx(expected, abs=1e-9)
