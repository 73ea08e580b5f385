"""Intent and entity quality on the three test sets, none of them trained on, parsed by the
real server: the held-out set written with the training data (tests/data/nlu_heldout.yml) and
two written by someone who never saw it, typed (nlu_independent.yml) and voice transcripts
(nlu_voice.yml). The floors are the figures bin/evaluate measured, less a margin for
retraining noise, so that a real regression breaks them."""
import pytest
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import classification_report, f1_score

from overdue.normalizing import normalize
from evaluation.perturb import COPIES
from evaluation.report import TEST_SETS, coincidences, entity_f1, entity_scores, fingerprint
from launcher import ROOT

pytestmark = pytest.mark.server

# bin/evaluate measured, on four trainings of the blended pipeline a few examples or epochs apart:
# macro-F1 0.962-0.970 held-out, 0.955-0.958 typed, 0.968-0.975 voice; entity F1 0.872 held-out,
# 0.886-0.888 typed (README, "Measured NLU quality"). The floors sit about two points below the
# lowest intent figure, one below the lowest entity figure, for retraining noise.
MIN_MACRO_F1 = {"held-out": 0.94, "independent typed": 0.935, "voice-style": 0.95}
MIN_ENTITY_F1 = {"held-out": 0.86, "independent typed": 0.875}
# Typos and filler around the request cost the independent typed set 1.2-2.2 points there; the
# issue's limit is 3.
MAX_DROP_ON_A_COPY = 0.03


@pytest.fixture(scope="module")
def test_sets():
    return {name: load_data(str(path)).intent_examples for name, path in TEST_SETS.items()}


@pytest.fixture(scope="module")
def parses(servers, test_sets):
    return {name: [servers.parse(example.get("text")) for example in examples]
            for name, examples in test_sets.items()}


def macro_f1(examples, predictions) -> float:
    truth = [example.get("intent") for example in examples]
    return f1_score(truth, predictions, labels=sorted(set(truth)), average="macro", zero_division=0)


@pytest.mark.parametrize("name", list(TEST_SETS))
def test_macro_f1(test_sets, parses, name):
    examples = test_sets[name]
    truth = [example.get("intent") for example in examples]
    predictions = [parse["intent"]["name"] for parse in parses[name]]
    score = macro_f1(examples, predictions)
    report = classification_report(truth, predictions, labels=sorted(set(truth)), zero_division=0)
    print(f"\n{name} intent macro-F1: {score:.3f}\n{report}")
    assert score >= MIN_MACRO_F1[name], f"macro-F1 {score:.3f} on the {name} set\n{report}"


@pytest.mark.parametrize("copy", ["homophone typo", "filler"])
def test_typos_and_filler_cost_little(servers, test_sets, parses, copy):
    """The two hardest robustness copies of bin/evaluate (evaluation/perturb.py)."""
    examples = test_sets["independent typed"]
    transform = COPIES[copy]
    clean = [parse["intent"]["name"] for parse in parses["independent typed"]]
    copied = [servers.parse(transform(example.get("text"), index))["intent"]["name"]
              for index, example in enumerate(examples)]
    drop = macro_f1(examples, clean) - macro_f1(examples, copied)
    assert drop <= MAX_DROP_ON_A_COPY, f"{copy}: macro-F1 {drop * 100:.1f} points below the clean set"


def test_test_sets_are_not_training_data(test_sets):
    """Not even in disguise: the pipeline reads 謝謝 as 谢谢 and ｏｋ as ok. The independent sets
    may share only the short replies that training messages written before them already held
    (tests/data/nlu_independent_coincidences.sha256)."""
    training = {normalize(example.get("text"), expand=False)
                for example in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    for name, examples in test_sets.items():
        overlap = [example.get("text") for example in examples
                   if normalize(example.get("text"), expand=False) in training]
        if name == "held-out":
            assert overlap == []
        else:  # counted, not shown: no one should read these sets while writing training data
            new = [text for text in overlap if fingerprint(text) not in coincidences()]
            assert len(new) == 0, f"{len(new)} messages of the {name} set are in the training data"


@pytest.mark.parametrize("name", list(MIN_ENTITY_F1))
def test_entities(test_sets, parses, name):
    """The same scoring as bin/evaluate: (type, span) pairs per message (evaluation/report.py)."""
    gold = [(e.get("text"), "", [(x["entity"], e.get("text")[x["start"]:x["end"]]) for x in e.get("entities") or []])
            for e in test_sets[name]]
    found = [("", [(x["entity"], p["text"][x["start"]:x["end"]]) for x in p["entities"] if "start" in x])
             for p in parses[name]]
    score = entity_f1(gold, found)
    assert score >= MIN_ENTITY_F1[name], f"entity F1 {score:.3f} on the {name} set: {entity_scores(gold, found)}"
