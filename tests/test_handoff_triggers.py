import pytest

from overdue.handoff_triggers import message_trigger, recent_user_messages


def msg(text="x", intent="inform", negative=False, self_harm=False):
    return {"text": text, "intent": {"name": intent},
            "emotion": {"strongly_negative": negative, "self_harm": self_harm}}


@pytest.mark.parametrize(
    "messages, reason",
    [
        ([msg(self_harm=True)], "self_harm"),
        ([msg("这笔钱不是我借的", "complain")], "dispute"),
        ([msg("金额不对吧")], "dispute"),
        ([msg("我不是张伟")], "dispute"),
        ([msg("我不是故意不还的")], None),
        ([msg(negative=True), msg(negative=True)], "negative_emotion"),
        ([msg(negative=True), msg(), msg(negative=True)], None),
        ([msg(intent="nlu_fallback"), msg(intent="nlu_fallback")], "not_understood"),
        ([msg(intent="nlu_fallback")], None),
        ([], None),
    ],
)
def test_message_trigger(messages, reason):
    assert message_trigger(messages) == reason


def test_recent_user_messages_stop_at_the_session_start():
    events = [
        {"event": "user", "text": "old", "parse_data": {}},
        {"event": "session_started"},
        {"event": "user", "text": "a", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "bot", "text": "hi"},
        {"event": "user", "text": "b", "parse_data": {}},
    ]
    assert [m["text"] for m in recent_user_messages(events)] == ["a", "b"]
