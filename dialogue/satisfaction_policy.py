"""Reads the customer's reply to the satisfaction question (满意度) in its context.

Right after the question, a typed rating ("5", "５分", "非常满意", "4分，客服很耐心") goes to
``action_read_satisfaction`` whatever the classifier made of it ("5" alone reads as inform);
right after the rating, the words that follow (a comment, or "没有了") go there too, unless
they are a new request, which is answered as usual. Anything else, and any later message, is
left to the rules: a customer who ignores the question is simply answered. The buttons'
payloads need no reading (data/rules/satisfaction.yml); the handoff triggers always win.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dialogue.context_rule_policy import ContextRulePolicy
from overdue.handoff_triggers import message_trigger, recent_user_messages
from overdue.remedies import REMEDY_INTENTS
from overdue.satisfaction_replies import nothing_to_add, rating_in

READ_SATISFACTION = "action_read_satisfaction"
STAGE_SLOT = "satisfaction_stage"
# After a rating, a message with one of these intents is a request and is answered as usual;
# anything else is the customer's words about the service (a complaint is kept as words, then
# handed over). Free words are classified all over the place ("等了好久才有人回" as a greeting).
REQUEST_INTENTS = {
    *REMEDY_INTENTS,
    "ask_overdue_status",
    "ask_penalty",
    "ask_credit_impact",
    "ask_repayment_method",
    "explain_hardship",
    "request_human",
    "ask_consequences",
    "ask_what_if",
    "goodbye",
    "rate_satisfaction",
    "stop_reminders",
    "resume_reminders",
    "unbind_wechat",
}


def stage_set_by_last_answer(tracker: DialogueStateTracker) -> str | None:
    """The satisfaction stage the bot's answer to the previous customer message set, if any."""
    seen_latest_message = False
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            if seen_latest_message:
                return None
            seen_latest_message = True
        elif seen_latest_message and isinstance(event, SlotSet) and event.key == STAGE_SLOT:
            return event.value
    return None


def reads_satisfaction(tracker: DialogueStateTracker) -> bool:
    """Whether the latest message answers the satisfaction question, or adds words to a rating."""
    message = tracker.latest_message
    text = ((message.text if message else "") or "").strip()
    if not text or text.startswith("/") or tracker.active_loop_name:
        return False
    if message_trigger(
        recent_user_messages([event.as_dict() for event in tracker.applied_events()])
    ):
        return False
    stage = stage_set_by_last_answer(tracker)
    if stage == "asked":
        return rating_in(text) is not None
    if stage == "rated":
        intent = (message.intent or {}).get("name")
        return nothing_to_add(text) or (
            intent not in REQUEST_INTENTS and not (intent or "").startswith("EXTERNAL_")
        )
    return False


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class SatisfactionPolicy(ContextRulePolicy):
    def next_action(self, tracker: DialogueStateTracker) -> str | None:
        if tracker.latest_action_name == READ_SATISFACTION:
            return ACTION_LISTEN_NAME
        if tracker.latest_action_name == ACTION_LISTEN_NAME and reads_satisfaction(tracker):
            return READ_SATISFACTION
        return None
