import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from dialogue import action_calls

GOOD_ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "next_step", "value": "answer", "timestamp": None}],
     "responses": [{"response": "utter_overdue_card", "overdue_amount": "12,000.00"}]},
    {"events": [{"event": "followup", "name": "action_handoff"}, {"event": "action_execution_rejected",
                                                                  "name": "identity_form"}]},
]
BAD_ANSWERS = [
    {"events": [{"name": "next_step"}]},  # an event without its type
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
]


@pytest.fixture
def rasa_check():
    return action_calls._RASA_VALIDATION


@pytest.mark.parametrize("answer", GOOD_ANSWERS)
def test_valid_answers_pass_as_with_rasa(answer, rasa_check):
    action = RemoteAction("action_route_request", None)
    assert rasa_check(action, answer) is True
    assert action_calls.validate_action_result(action, answer) is True


@pytest.mark.parametrize("answer", BAD_ANSWERS)
def test_invalid_answers_raise_rasas_error(answer, rasa_check):
    action = RemoteAction("action_route_request", None)
    with pytest.raises(ValidationError) as rasa_error:
        rasa_check(action, answer)
    with pytest.raises(ValidationError) as our_error:
        action_calls.validate_action_result(action, answer)
    assert our_error.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in our_error.value.message


def test_the_switch_installs_and_removes_the_cached_check(monkeypatch):
    try:
        monkeypatch.setenv(action_calls.SWITCH, "0")
        action_calls.install_from_environment()
        assert RemoteAction._validate_action_result is action_calls._RASA_VALIDATION
        monkeypatch.delenv(action_calls.SWITCH)
        action_calls.install_from_environment()
        assert RemoteAction._validate_action_result is action_calls.validate_action_result
    finally:
        action_calls.install_from_environment()
