"""Normalises customer text before tokenisation, as a Rasa graph component.

The normalising itself is ``overdue.normalizing``. Running inside the graph means the
server, `rasa shell` and `rasa test` all classify the same text. Training examples keep
their entity annotations: offsets are mapped through the change.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from overdue.normalizing import normalize, normalize_with_offsets

RAW_TEXT = (
    "raw_text"  # the text as written: emoji and ！！！ still tell the emotion scorer something
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    """Graph component: put it first in the pipeline, before the tokenizer."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                # Emoji alone normalise to nothing: the fallback answers those kindly.
                message.set(
                    RAW_TEXT, text
                )  # emoji and ！！！ still tell the emotion scorer something
                message.set(TEXT, normalize(text))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            text: str | None = example.get(TEXT)
            if not text:
                continue
            normalized, offsets = normalize_with_offsets(text)
            lead = len(normalized) - len(normalized.lstrip())
            stripped = normalized.strip()
            for entity in example.get(ENTITIES) or []:
                span = text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]]
                entity[ENTITY_ATTRIBUTE_START] = offsets[entity[ENTITY_ATTRIBUTE_START]] - lead
                entity[ENTITY_ATTRIBUTE_END] = offsets[entity[ENTITY_ATTRIBUTE_END]] - lead
                if entity.get(ENTITY_ATTRIBUTE_VALUE) == span:
                    # Not a synonym: the value is the text, so it is normalised with it.
                    entity[ENTITY_ATTRIBUTE_VALUE] = stripped[
                        entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]
                    ]
            example.set(TEXT, stripped)
        return training_data
