"""Reads a short reply in the context it answers, whatever the classifier's top intent.

Inside a remedy form, a clear yes or no to the confirmation ("这个方案我不接受", "太贵了",
"不想分期") or a value for the question just asked ("三个月就行") goes to the form, whose own
validation takes it; without this, "不想分期" read as a new instalment request would start
the plan again. Outside a form, "为什么 / 为什么不行" right after a refusal or a figure gets
the rule behind it, and "还有别的办法吗 / 有没有便宜点的" this customer's options. The words
are recognised in ``overdue/context_replies.py``; the handoff triggers are checked first and
always win.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dialogue.context_rule_policy import ContextRulePolicy
from overdue.clock import today_in_china
from overdue.context_replies import answers_question, asks_for_options, asks_why
from overdue.handoff_triggers import message_trigger, recent_user_messages

EXPLAIN_WHY = "action_explain_why"
OFFER_OPTIONS = "action_offer_options"
TOPIC_SLOT = "followup_topic"
# The identity check reads its own digits (actions/identity.py).
OWN_ANSWERS = {"identity_form"}


def topic_of_last_answer(tracker: DialogueStateTracker) -> str | None:
    """The topic the bot's answer to the previous customer message set, if it set one."""
    seen_latest_message = False
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            if seen_latest_message:
                return None
            seen_latest_message = True
        elif seen_latest_message and isinstance(event, SlotSet) and event.key == TOPIC_SLOT:
            return event.value
    return None


def contextual_action(tracker: DialogueStateTracker) -> str | None:
    """The action the latest message calls for in its context, or None to leave it to the rules."""
    text = (tracker.latest_message.text if tracker.latest_message else "") or ""
    if not text.strip() or text.strip().startswith("/"):
        return None  # a button's payload says what it means
    if message_trigger(
        recent_user_messages([event.as_dict() for event in tracker.applied_events()])
    ):
        return None
    loop = tracker.active_loop_name
    if loop:
        if loop in OWN_ANSWERS:
            return None
        slot = tracker.get_slot("requested_slot")
        if slot and answers_question(slot, text, today_in_china()):
            return loop
        return None
    if asks_for_options(text):
        return OFFER_OPTIONS
    if asks_why(text) and topic_of_last_answer(tracker):
        return EXPLAIN_WHY
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ContextPolicy(ContextRulePolicy):
    def next_action(self, tracker: DialogueStateTracker) -> str | None:
        if tracker.latest_action_name in (EXPLAIN_WHY, OFFER_OPTIONS):
            return ACTION_LISTEN_NAME
        if tracker.latest_action_name == ACTION_LISTEN_NAME:
            return contextual_action(tracker)
        return None
