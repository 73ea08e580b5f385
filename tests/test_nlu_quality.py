"""Intent quality on the held-out set (tests/data/nlu_heldout.yml, never trained on),
parsed by the real server."""
import pytest
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import classification_report, f1_score

from launcher import ROOT

pytestmark = pytest.mark.server

MIN_MACRO_F1 = 0.90


@pytest.fixture(scope="module")
def heldout():
    return load_data(str(ROOT / "tests" / "data" / "nlu_heldout.yml")).intent_examples


@pytest.fixture(scope="module")
def predictions(servers, heldout):
    return [servers.parse(example.get("text"))["intent"]["name"] for example in heldout]


def test_heldout_macro_f1(heldout, predictions):
    truth = [example.get("intent") for example in heldout]
    labels = sorted(set(truth))
    score = f1_score(truth, predictions, labels=labels, average="macro", zero_division=0)
    report = classification_report(truth, predictions, labels=labels, zero_division=0)
    print(f"\nheld-out intent macro-F1: {score:.3f}\n{report}")
    assert score >= MIN_MACRO_F1, f"macro-F1 {score:.3f} on held-out data\n{report}"


def test_heldout_is_not_training_data(heldout):
    training = {example.get("text") for example in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    overlap = [example.get("text") for example in heldout if example.get("text") in training]
    assert overlap == []
