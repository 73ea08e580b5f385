"""DIET's intent scores blended with a TF-IDF logistic regression, as a Rasa graph component.

On messages written by people who never saw the training data, a linear model over
character 1-3-grams and jieba word 1-2-grams was as good as DIET and wrong on different
messages; the average of the two beat both (bin/evaluate: independent typed macro-F1 0.932
DIET alone, 0.950 the regression alone, 0.955 the blend). DIET still finds the entities.
The model is kept as plain arrays (vocabularies, idf, coefficients), never pickled: loading
a model file runs no code.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

TOKEN_SEPARATOR = "\x1f"  # joins jieba's tokens into one string for the word vectorizer
RANKING_LENGTH = 10
FILES = ("vectorizers.json", "arrays.npz")


def word_ngrams(joined: str) -> list[str]:
    """Word unigrams and bigrams of a message's tokens (joined by TOKEN_SEPARATOR)."""
    words = [word for word in joined.lower().split(TOKEN_SEPARATOR) if word.strip()]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def _char_vectorizer(**fixed: Any) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, **fixed)


def _word_vectorizer(**fixed: Any) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True, **fixed)


def _inputs(messages: list[Message]) -> tuple[list[str], list[str]]:
    texts, tokens = [], []
    for message in messages:
        texts.append(message.get(TEXT) or "")
        tokens.append(
            TOKEN_SEPARATOR.join(token.text for token in message.get(TOKENS_NAMES[TEXT]) or [])
        )
    return texts, tokens


class _Scorer:
    """The regression's probabilities, computed over a message's own few n-grams: the sums
    sklearn's transform and predict_proba make, without their per-call cost (2.3 ms of a
    7 ms parse)."""

    def __init__(
        self, chars: TfidfVectorizer, words: TfidfVectorizer, regression: LogisticRegression
    ) -> None:
        self._parts = [
            (chars.build_analyzer(), chars.vocabulary_, chars.idf_, 0),
            (words.build_analyzer(), words.vocabulary_, words.idf_, len(chars.idf_)),
        ]
        self._coef = regression.coef_
        self._intercept = regression.intercept_

    def probabilities(self, text: str, tokens: str) -> np.ndarray:
        decision = self._intercept.astype(float)
        for (analyze, vocabulary, idf, offset), document in zip(
            self._parts, (text, tokens), strict=True
        ):
            counts = Counter(
                index for gram in analyze(document) if (index := vocabulary.get(gram)) is not None
            )
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=int, count=len(counts))
            values = (1 + np.log(np.fromiter(counts.values(), dtype=float))) * idf[columns]
            values /= np.linalg.norm(values)
            decision += self._coef[:, columns + offset] @ values
        if len(decision) == 1:  # two intents: sklearn keeps one row, for the second
            second = 1 / (1 + np.exp(-decision[0]))
            return np.array([1 - second, second])
        exponentials = np.exp(decision - decision.max())
        return exponentials / exponentials.sum()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class BlendedIntentClassifier(GraphComponent, IntentClassifier):
    """Put it after DIETClassifier and before FallbackClassifier, which then reads the blend."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # weight: DIET's share of the blend. C and max_iter: the regression's, as measured.
        return {"weight": 0.5, "C": 10.0, "max_iter": 3000}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: tuple[TfidfVectorizer, TfidfVectorizer, LogisticRegression] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._scorer = _Scorer(*model) if model is not None else None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BlendedIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            return self._resource  # nothing to tell apart: DIET's answer stands
        texts, tokens = _inputs(examples)
        chars, words = _char_vectorizer(), _word_vectorizer()
        features = hstack([chars.fit_transform(texts), words.fit_transform(tokens)]).tocsr()
        regression = LogisticRegression(C=self._config["C"], max_iter=self._config["max_iter"])
        regression.fit(features, [e.get(INTENT) for e in examples])
        self._model = (chars, words, regression)
        self._scorer = _Scorer(chars, words, regression)
        self._persist()
        return self._resource

    def _persist(self) -> None:
        chars, words, regression = self._model
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILES[0]).write_text(
                json.dumps(
                    {
                        "chars": {k: int(v) for k, v in chars.vocabulary_.items()},
                        "words": {k: int(v) for k, v in words.vocabulary_.items()},
                        "classes": [str(c) for c in regression.classes_],
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            np.savez(
                directory / FILES[1],
                char_idf=chars.idf_,
                word_idf=words.idf_,
                coef=regression.coef_,
                intercept=regression.intercept_,
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> BlendedIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                names = json.loads((directory / FILES[0]).read_text(encoding="utf-8"))
                with np.load(directory / FILES[1], allow_pickle=False) as arrays:
                    chars = _char_vectorizer(vocabulary=names["chars"])
                    chars.idf_ = arrays["char_idf"]
                    words = _word_vectorizer(vocabulary=names["words"])
                    words.idf_ = arrays["word_idf"]
                    regression = LogisticRegression()
                    regression.classes_ = np.array(names["classes"])
                    regression.coef_ = arrays["coef"]
                    regression.intercept_ = arrays["intercept"]
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)  # trained on fewer than two intents
        return cls(config, model_storage, resource, (chars, words, regression))

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        classes = self._model[2].classes_
        texts, tokens = _inputs(messages)
        probabilities = [
            self._scorer.probabilities(t, w) for t, w in zip(texts, tokens, strict=True)
        ]
        weight = self._config["weight"]
        for message, row in zip(messages, probabilities, strict=True):
            learned = {r["name"]: r["confidence"] for r in message.get(INTENT_RANKING_KEY) or []}
            share = weight if learned else 0.0  # no DIET ranking (empty text): the regression's
            blended = {
                name: share * learned.get(name, 0.0) + (1 - share) * float(p)
                for name, p in zip(classes, row, strict=True)
            }
            ranking = sorted(
                ({"name": str(n), "confidence": c} for n, c in blended.items()),
                key=lambda r: -r["confidence"],
            )[:RANKING_LENGTH]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
