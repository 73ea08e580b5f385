"""Checks the action server's answers without re-checking Rasa's own schema on every call.

Rasa 3.6 validates each answer of the action server with ``jsonschema.validate(answer,
spec)``, and that function first validates the constant ``spec`` itself against the JSON
Schema 2020-12 meta-schema. That check costs 40-110 ms of CPU on the server's event loop
per custom action, two custom actions a turn: the slowest stage of a turn
(``benchmarks/turn_profile.py``). Here the spec is checked once and its validator kept;
answers are validated as before and a bad answer raises the same error.

Installed when the Rasa server loads the dialogue package (the model's policies).
``RASA_ACTION_SCHEMA_CACHE=0`` leaves Rasa's own behaviour: the benchmark's "before".
"""

import logging
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from settings import current

logger = logging.getLogger(__name__)

SWITCH = "RASA_ACTION_SCHEMA_CACHE"
_RASA_VALIDATION = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def answer_validator() -> Draft202012Validator:
    """The validator of Rasa's action-answer schema, the schema checked once."""
    spec = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(spec)
    validator_class.check_schema(spec)
    return validator_class(spec)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator kept."""
    error = exceptions.best_match(answer_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def enable() -> None:
    RemoteAction._validate_action_result = validate_action_result


def disable() -> None:
    RemoteAction._validate_action_result = _RASA_VALIDATION


def install_from_environment() -> None:
    if not current().rasa_action_schema_cache:
        logger.info("%s=0: action answers are validated the slow way, schema included", SWITCH)
        disable()
    else:
        enable()
