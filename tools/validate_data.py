"""``rasa data validate --fail-on-warnings``, with the two warnings Rasa 3.6 gets wrong here
turned into checks that can fail.

Rasa 3.6 counts a response as used only when a rule or story names it, and an intent as known
only when NLU examples teach it. Here most responses are sent by custom actions
(``dispatcher.utter_message(response=...)``) or asked by forms (``utter_ask_<slot>``), and a few
intents never come from the classifier: the reminders' external events (``EXTERNAL_*``), the
satisfaction buttons' payloads and the exact-word replies of bank_nlu/reminder_replies.py.
Rasa has no way to declare either (a response listed under ``actions:`` still counts as
unused), and it never fails a run on these two warnings, even with ``--fail-on-warnings``: it
prints them by the hundred, and a real one is lost among them.

So Rasa's validation runs exactly as the command runs it, and then every warning fails the run
except these, when they are accounted for: a response that no rule names is named by the code
(a string literal, or the constant start of an f-string such as ``f"utter_why_{topic}"``) or is
the question of a form slot that has no ``action_ask_*``; an intent without examples is a
button's payload in domain.yml or is named by the code. A response or intent that nothing
names is dead, and is reported.

    python -m tools.validate_data [--domain domain.yml] [--data data] [--config config.yml]
"""

import argparse
import ast
import logging
import re
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The packages that run in production and may send a response or produce an intent: every
# package of the project but those that only test, measure or configure it (so a new one counts).
NOT_RUNTIME = {"benchmarks", "evaluation", "settings", "tests", "tools"}
RUNTIME_PACKAGES = tuple(
    sorted(
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").exists() and path.name not in NOT_RUNTIME
    )
)
UNUSED_RESPONSE = re.compile(r"The utterance '(?P<name>[^']+)' is not used in any story or rule\.")
NO_EXAMPLES = re.compile(
    r"The intent '(?P<name>[^']+)' is listed in the domain file, but is not found in the NLU"
    r" training data\."
)
PAYLOAD_INTENT = re.compile(r"^/(?P<name>\w+)")
RESPONSE_PREFIX = re.compile(r"utter_[a-z]")


@dataclass
class CodeNames:
    """Every string the code spells out, and the constant starts of its f-strings that
    build a response's name."""

    literals: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)

    def name(self, name: str) -> bool:
        return name in self.literals or any(name.startswith(prefix) for prefix in self.prefixes)


def code_names(root: Path = ROOT) -> CodeNames:
    names = CodeNames()
    for package in RUNTIME_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.JoinedStr) and node.values:
                    first = node.values[0]
                    # f"utter_why_{topic}" names every utter_why_*; f"u{x}" names nothing.
                    if isinstance(first, ast.Constant) and RESPONSE_PREFIX.match(first.value):
                        names.prefixes.add(first.value)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    names.literals.add(node.value)
    return names


def form_questions(domain: Any) -> set[str]:
    """The responses Rasa's forms ask with: ``utter_ask_[<form>_]<slot>``, where no
    ``action_ask_*`` asks instead."""
    actions = set(domain.action_names_or_texts)
    questions = set()
    for form in domain.form_names:
        for slot in domain.required_slots_for_form(form):
            if not {f"action_ask_{form}_{slot}", f"action_ask_{slot}"} & actions:
                questions |= {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"}
    return questions


def payload_intents(domain: Any) -> set[str]:
    """The intents the responses' buttons send (``/rate_satisfaction{...}``)."""
    return {
        match["name"]
        for variations in domain.responses.values()
        for variation in variations
        for button in variation.get("buttons") or []
        if (match := PAYLOAD_INTENT.match(str(button.get("payload") or "")))
    }


def rasa_warnings(domain: str, data: list[str], config: str) -> tuple[bool, list[str], Any]:
    """Runs ``rasa data validate --fail-on-warnings`` in this process: whether it passed, the
    warnings it gave, and the domain it read."""
    import rasa.cli.utils
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.WARNING)  # as the CLI does: story conflicts are logs
    importer = TrainingDataImporter.load_from_config(
        domain_path=domain, training_data_paths=data, config_path=config
    )
    # Rasa's own filters stay: the warnings it expects (EXPECTED_WARNINGS) are not shown.
    with warnings.catch_warnings(record=True) as caught:
        try:
            rasa.cli.utils.validate_files(True, None, importer)
            passed = True
        except SystemExit as exit:  # the command's "Project validation completed with errors."
            passed = exit.code in (0, None)
    messages = [
        str(warning.message)
        for warning in caught
        if not issubclass(warning.category, DeprecationWarning | PendingDeprecationWarning)
    ]
    return passed, list(dict.fromkeys(messages)), importer.get_domain()


def unaccounted(messages: list[str], domain: Any, names: CodeNames) -> Iterator[str]:
    """The warnings that stand: all of them but the accounted-for unused responses and
    intents without examples."""
    questions, payloads = form_questions(domain), payload_intents(domain)
    for message in messages:
        if (unused := UNUSED_RESPONSE.fullmatch(message)) and (
            names.name(unused["name"]) or unused["name"] in questions
        ):
            continue
        if (intent := NO_EXAMPLES.fullmatch(message)) and (
            intent["name"] in payloads or names.name(intent["name"])
        ):
            continue
        yield message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="domain.yml")
    parser.add_argument("--data", nargs="+", default=["data"])
    parser.add_argument("--config", default="config.yml")
    args = parser.parse_args(argv)
    started = time.monotonic()
    passed, messages, domain = rasa_warnings(args.domain, args.data, args.config)
    standing = list(unaccounted(messages, domain, code_names()))
    for message in standing:
        print(f"warning: {message}", file=sys.stderr)
    accounted = len(messages) - len(standing)
    verdict = "passed" if passed and not standing else "FAILED"
    print(
        f"rasa data validate --fail-on-warnings {verdict}: {len(standing)} warning(s) stand; "
        f"{accounted} accounted for (responses sent by the code or asked by a form, intents "
        f"from button payloads, external events or the code); {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return 0 if passed and not standing else 1


if __name__ == "__main__":
    sys.exit(main())
