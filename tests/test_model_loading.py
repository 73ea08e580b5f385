"""DIET loaded the quick way (bank_nlu/model_loading.py) predicts exactly what Rasa's own
loading predicts, on the trained model the servers run, and falls back to Rasa's way when a
weight would be missing."""
import asyncio

import pytest
from rasa.core.agent import Agent
from rasa.utils.tensorflow.models import RasaModel

from bank_nlu import model_loading
from evaluation.report import HELDOUT, examples
from launcher import latest_model

MESSAGES = [text for text, _, _ in examples(HELDOUT)][:150] + [
    "", "🙏", "嗯那个…请问下个月15号能还3000吗", "我" * 3000, "<script>alert(1)</script>",
]


def _parses(agent):
    async def parse_all():
        return [await agent.parse_message(text) for text in MESSAGES]
    return [
        (p["intent"]["name"], p["intent"]["confidence"],
         [(e["entity"], e["start"], e["end"], e["value"]) for e in p["entities"]])
        for p in asyncio.run(parse_all())
    ]


def _load(quick: bool):
    (model_loading.enable if quick else model_loading.disable)()
    try:
        return Agent.load(str(latest_model()))
    finally:
        model_loading.install_from_environment()


@pytest.fixture(scope="module")
def rasa_parses():
    return _parses(_load(quick=False))


def _assert_same(found, expected):
    assert [(i, e) for i, _, e in found] == [(i, e) for i, _, e in expected]
    assert [c for _, c, _ in found] == pytest.approx([c for _, c, _ in expected], abs=1e-6)


def test_quick_loading_predicts_what_rasa_loading_predicts(rasa_parses):
    _assert_same(_parses(_load(quick=True)), rasa_parses)


def test_a_weight_the_checkpoint_lacks_means_rasa_loading(rasa_parses, monkeypatch):
    real = RasaModel.load_weights
    calls = []

    class Unmatched:
        def __init__(self, status):
            self.expect_partial = status.expect_partial

        def assert_existing_objects_matched(self):
            raise AssertionError("a variable was not restored")

    def load_weights(self, *args, **kwargs):
        calls.append(1)
        status = real(self, *args, **kwargs)
        return Unmatched(status) if len(calls) == 1 else status

    monkeypatch.setattr(RasaModel, "load_weights", load_weights)
    _assert_same(_parses(_load(quick=True)), rasa_parses)
    assert len(calls) == 2  # the quick attempt, then Rasa's own


def test_the_switch_leaves_rasa_loading(monkeypatch):
    monkeypatch.setenv(model_loading.SWITCH, "0")
    model_loading.install_from_environment()
    assert RasaModel.load.__func__ is model_loading._RASA_LOAD
    monkeypatch.delenv(model_loading.SWITCH)
    model_loading.install_from_environment()
    assert RasaModel.load.__func__ is model_loading.load_for_prediction
