"""NLU evaluation report: this project's pipeline, Rasa's stock pipeline (as `rasa init`
writes it) and a jieba + TF-IDF + logistic-regression baseline, trained on the same data
and scored on the held-out set (tests/data/nlu_heldout.yml) and its robustness copies.

    bin/evaluate              # report in evaluation/results/<time>/report.md
    bin/evaluate --folds 0    # without the 5-fold cross-validation (saves ~5 minutes)
"""
import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    ConfusionMatrixDisplay,
    accuracy_score,
    classification_report,
    f1_score,
)

from bank_nlu.normalizer import normalize  # noqa: E402
from evaluation.perturb import COPIES  # noqa: E402
from launcher import ROOT, latest_model  # noqa: E402

HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.yml"
TRAINING = ROOT / "data" / "nlu"
STOCK_CONFIG = Path(__file__).resolve().parent / "stock_config.yml"
RESULTS = Path(__file__).resolve().parent / "results"

Example = Tuple[str, str, List[Tuple[str, str]]]  # text, intent, [(entity, span text)]
Predictor = Callable[[List[str]], List[Tuple[str, List[Tuple[str, str]]]]]


def examples(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    found = []
    for message in load_data(str(path)).intent_examples:
        text = message.get("text")
        entities = [(e["entity"], text[e["start"]:e["end"]]) for e in message.get("entities") or []]
        found.append((text, message.get("intent"), entities))
    return found


def rasa_predictor(model: Path) -> Predictor:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    def predict(texts: List[str]):
        async def parse_all():
            return [await agent.parse_message(text) for text in texts]

        return [((p.get("intent") or {}).get("name") or "", [(e["entity"], p["text"][e["start"]:e["end"]])
                 for e in p.get("entities") or [] if "start" in e]) for p in asyncio.run(parse_all())]

    return predict


def baseline_predictor(training: List[Example]) -> Predictor:
    """jieba tokens, TF-IDF, logistic regression: what a bank might build in an afternoon."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, ngram_range=(1, 2)),
                          LogisticRegression(max_iter=2000, C=10))
    model.fit([t for t, _, _ in training], [i for _, i, _ in training])
    return lambda texts: [(intent, []) for intent in model.predict(texts)]


def train_nlu(config: Path, data: Path, out: Path, name: str) -> Path:
    subprocess.run([str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(config),
                    "--nlu", str(data), "--out", str(out), "--fixed-model-name", name, "--quiet"],
                   check=True, cwd=ROOT)
    return out / f"{name}.tar.gz"


def entity_scores(gold: List[Example], predicted: List[Tuple[str, list]]) -> Dict[str, Dict[str, float]]:
    """Per entity type: precision, recall, F1 over (type, normalised span) pairs."""
    counts: Dict[str, List[int]] = {}
    for (_, _, gold_entities), (_, found) in zip(gold, predicted):
        want = {(kind, normalize(span)) for kind, span in gold_entities}
        got = {(kind, normalize(span)) for kind, span in found}
        for kind in {k for k, _ in want | got}:
            tp = len({x for x in want & got if x[0] == kind})
            c = counts.setdefault(kind, [0, 0, 0])
            c[0] += tp
            c[1] += len({x for x in got if x[0] == kind}) - tp
            c[2] += len({x for x in want if x[0] == kind}) - tp
    scores = {}
    for kind, (tp, fp, fn) in sorted(counts.items()):
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[kind] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
    return scores


def score(test: List[Example], predict: Predictor) -> Dict:
    predicted = predict([t for t, _, _ in test])
    truth = [i for _, i, _ in test]
    guesses = [p for p, _ in predicted]
    labels = sorted(set(truth))
    return {
        "accuracy": round(accuracy_score(truth, guesses), 4),
        "macro_f1": round(f1_score(truth, guesses, labels=labels, average="macro", zero_division=0), 4),
        "per_intent": classification_report(truth, guesses, labels=labels, output_dict=True, zero_division=0),
        "entities": entity_scores(test, predicted),
        "truth": truth, "guesses": guesses, "labels": labels,
    }


def confusion_png(result: Dict, title: str, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(11, 10))
    ConfusionMatrixDisplay.from_predictions(result["truth"], result["guesses"], labels=result["labels"],
                                            ax=axis, xticks_rotation=90, colorbar=False)
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def cross_validation(training: List[Example], folds: int, work: Path) -> List[float]:
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.model_selection import StratifiedKFold

    data = load_data(str(TRAINING))
    messages = data.intent_examples
    intents = [m.get("intent") for m in messages]
    scores = []
    for fold, (train_idx, test_idx) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=7)
                                                 .split(messages, intents)):
        from rasa.shared.nlu.training_data.training_data import TrainingData

        fold_dir = work / f"fold{fold}"
        fold_dir.mkdir()
        fold_data = TrainingData([messages[i] for i in train_idx], entity_synonyms=data.entity_synonyms)
        (fold_dir / "nlu.yml").write_text(fold_data.nlu_as_yaml(), encoding="utf-8")
        model = train_nlu(ROOT / "config.yml", fold_dir / "nlu.yml", fold_dir, "fold")
        test = [(messages[i].get("text"), messages[i].get("intent"), []) for i in test_idx]
        scores.append(score(test, rasa_predictor(model))["macro_f1"])
        print(f"fold {fold + 1}/{folds}: macro-F1 {scores[-1]:.3f}", flush=True)
    return scores


def quiet_rasa() -> None:
    """Rasa logs every parse at debug level; a report of thousands of parses wants silence."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def main() -> None:
    quiet_rasa()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0 to skip)")
    args = parser.parse_args()

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / stamp
    out.mkdir(parents=True)
    test = examples(HELDOUT)
    training = examples(TRAINING)
    with tempfile.TemporaryDirectory(prefix="eval-") as tmp:
        work = Path(tmp)
        print("training Rasa's stock pipeline on the same data…", flush=True)
        systems = {
            "this project": rasa_predictor(latest_model()),
            "Rasa stock pipeline": rasa_predictor(train_nlu(STOCK_CONFIG, TRAINING, work, "stock")),
            "jieba + TF-IDF + LR": baseline_predictor(training),
        }
        results = {}
        for name, predict in systems.items():
            results[name] = {"clean": score(test, predict)}
            for copy, transform in COPIES.items():
                copied = [(transform(t, i), intent, []) for i, (t, intent, _) in enumerate(test)]
                results[name][copy] = score(copied, predict)
            confusion_png(results[name]["clean"], name, out / f"confusion-{name.split()[0].lower()}.png")
            print(f"{name}: macro-F1 {results[name]['clean']['macro_f1']:.3f}", flush=True)
        cv = cross_validation(training, args.folds, work) if args.folds else []

    write_report(out, results, cv, len(test), len(training))
    print((out / "report.md").read_text(encoding="utf-8").split("## Per intent")[0])


def write_report(out: Path, results: Dict, cv: List[float], n_test: int, n_train: int) -> None:
    copies = ["clean", *COPIES]
    lines = [f"# NLU evaluation ({out.name})", "",
             f"{n_train} training examples; {n_test} held-out examples (tests/data/nlu_heldout.yml), never trained on.",
             "", "## Headline: intent macro-F1", "",
             "| system | accuracy | " + " | ".join(copies) + " |", "|---|---|" + "---|" * len(copies)]
    for name, by_copy in results.items():
        lines.append(f"| {name} | {by_copy['clean']['accuracy']:.3f} | "
                     + " | ".join(f"{by_copy[c]['macro_f1']:.3f}" for c in copies) + " |")
    if cv:
        lines += ["", f"5-fold cross-validation of this project's pipeline on the training data: macro-F1 "
                      f"{statistics.mean(cv):.3f} ± {statistics.pstdev(cv):.3f} ({', '.join(f'{s:.3f}' for s in cv)})."]
    lines += ["", "## Per intent (held-out, clean)", "", "| intent | " + " | ".join(
        f"{n} P / R / F1" for n in results) + " |", "|---|" + "---|" * len(results)]
    intents = results["this project"]["clean"]["labels"]
    for intent in intents:
        cells = []
        for by_copy in results.values():
            row = by_copy["clean"]["per_intent"].get(intent, {})
            cells.append(f"{row.get('precision', 0):.2f} / {row.get('recall', 0):.2f} / {row.get('f1-score', 0):.2f}")
        lines.append(f"| {intent} | " + " | ".join(cells) + " |")
    lines += ["", "## Entities (held-out, clean)", "", "| system | entity | precision | recall | F1 |", "|---|---|---|---|---|"]
    for name, by_copy in results.items():
        for kind, row in by_copy["clean"]["entities"].items():
            lines.append(f"| {name} | {kind} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} |")
    lines += ["", "## Confusion matrices", ""] + [
        f"![{n}](confusion-{n.split()[0].lower()}.png)" for n in results]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = {n: {c: {k: v for k, v in r.items() if k in ("accuracy", "macro_f1", "entities")}
                   for c, r in by_copy.items()} for n, by_copy in results.items()}
    (out / "results.json").write_text(json.dumps({"systems": summary, "cross_validation": cv}, indent=2,
                                                 ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
