"""Hands a conversation to a person when the customer's messages call for it.

Rules cannot see how a customer feels; this policy can. After each customer message it
predicts ``action_handoff`` for words of self-harm, a dispute of the debt itself, two
strongly negative messages in a row, or two messages in a row not understood. Its
priority is above RulePolicy, so these win over the usual answer.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from overdue.handoff_triggers import message_trigger, recent_user_messages

HANDOFF_ACTION = "action_handoff"


def _handed_over_just_now(tracker: DialogueStateTracker) -> bool:
    """The handoff is the latest step, with no customer message after it. (A paused
    conversation never runs action_listen, so after a resume the handoff may still be
    the latest action while a new message waits for an answer.)"""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted):
            return event.action_name == HANDOFF_ACTION
    return False


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}  # RulePolicy is 6

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer=None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        with self._model_storage.write_to(self._resource):
            pass  # nothing to learn: the triggers are rules of the bank
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if _handed_over_just_now(tracker):
            # Handed over: wait for the customer (or the agent), whatever led here.
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif (
            tracker.latest_action_name == ACTION_LISTEN_NAME
            and HANDOFF_ACTION in domain.action_names_or_texts
        ):
            events = [event.as_dict() for event in tracker.applied_events()]
            if message_trigger(recent_user_messages(events)):
                probabilities[domain.index_for_action(HANDOFF_ACTION)] = 1.0
        return self._prediction(probabilities)
