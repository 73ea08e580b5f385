"""The shape shared by the policies that read a message in its context by a fixed rule of
the bank (nothing to learn): each names the next action, or none to leave it to the others."""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


class ContextRulePolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7
        }  # above RulePolicy (6); each stands aside when a handoff trigger fires

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        with self._model_storage.write_to(self._resource):
            pass  # nothing to learn: the rule is the bank's, in code
        return self._resource

    def next_action(self, tracker: DialogueStateTracker) -> str | None:
        """The action this message calls for in its context, or None."""
        raise NotImplementedError

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.next_action(tracker)
        if action and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
