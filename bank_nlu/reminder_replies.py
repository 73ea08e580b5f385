"""An exact 退订 / TD (or 订阅 / 恢复提醒, or 解绑) reply, as a Rasa graph component.

Stopping reminders must not depend on a classifier's guess: a message that is exactly
one of the policy's ``opt_out_words`` (or ``opt_in_words``), ignoring case, spaces and
punctuation, is ``stop_reminders`` (or ``resume_reminders``) with full confidence.
Exactly 解绑 is ``unbind_wechat``: the customer's WeChat is unbound from their account. A
request for a new one-time code (exactly 重新发送, 没收到 ...) is ``inform``, an answer to the
code request, so that the identity form takes it rather than the fallback. Anything else is
left as the classifiers had it. Put it after FallbackClassifier.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from overdue.bank_rules import ReminderRules, load_bank_rules

STOP = "stop_reminders"
RESUME = "resume_reminders"
UNBIND = "unbind_wechat"
UNBIND_WORDS = ("解绑",)  # exactly this: a binding is undone on purpose, never on a guess
ANSWER = "inform"
RESEND_WORDS = (
    "重新发送",
    "重发",
    "再发一次",
    "再发一遍",
    "没收到",
    "没有收到",
    "收不到",
    "没收到验证码",
    "重新发送验证码",
    "重发验证码",
    "验证码没收到",
)


def _bare(text: str) -> str:
    """Upper case, without spaces or punctuation: '退订。' and ' td ' are 退订 and TD."""
    normalized = unicodedata.normalize("NFKC", text or "")
    return "".join(
        c for c in normalized if not c.isspace() and not unicodedata.category(c).startswith("P")
    ).upper()


def reply_intent(text: str, rules: ReminderRules) -> str | None:
    bare = _bare(text)
    if bare in {_bare(word) for word in rules.opt_out_words}:
        return STOP
    if bare in {_bare(word) for word in rules.opt_in_words}:
        return RESUME
    if bare in {_bare(word) for word in UNBIND_WORDS}:
        return UNBIND
    if bare in {_bare(word) for word in RESEND_WORDS}:
        return ANSWER
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ReminderReplyClassifier(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ReminderReplyClassifier:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        rules = load_bank_rules().reminders  # read per call (cached): the words live in policy.yml
        for message in messages:
            intent = reply_intent(message.get(TEXT) or "", rules)
            if intent is None:
                continue
            message.set(
                INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True
            )
            message.set(
                INTENT_RANKING_KEY,
                [{INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}],
                add_to_output=True,
            )
        return messages
