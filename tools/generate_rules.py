"""Writes the routing and form rules (data/rules/routing.yml, data/rules/forms.yml).

They follow a few tables below; editing the tables and running
``python tools/generate_rules.py`` keeps dozens of near-identical rules consistent.
"""

from pathlib import Path

import yaml

RULES = Path(__file__).resolve().parent.parent / "data" / "rules"

# Routed through action_route_request: account questions, remedies, and values given.
ROUTED = [
    "ask_overdue_status",
    "ask_credit_impact",
    "ask_penalty",
    "ask_repayment_method",
    "ask_consequences",
    "ask_what_if",
    "inform",
    "request_deferral",
    "request_installment",
    "promise_to_pay",
    "request_penalty_waiver",
    "report_payment_made",
]
# Answered in one turn wherever they come (mirrors data/rules/chitchat.yml, needs.yml and reminders.yml).
SINGLE_TURN = {
    "greet": "utter_greet",
    "thank": "utter_you_are_welcome",
    "out_of_scope": "utter_out_of_scope",
    "explain_hardship": "utter_explain_hardship",
    "nlu_fallback": "action_handle_fallback",
    "stop_reminders": "action_stop_reminders",
    "resume_reminders": "action_resume_reminders",
    "unbind_wechat": "action_unbind_wechat",
}
# End the form; a person takes the complaint or the request for one.
ENDING = {
    "goodbye": "utter_goodbye",
    "request_human": "action_handoff",
    "complain": "action_handoff",
}
# Remedy form -> the action that stores its request.
REMEDY_FORMS = {
    "deferral_form": "action_submit_deferral",
    "card_installment_form": "action_submit_card_installment",
    "negotiated_plan_form": "action_submit_negotiated_plan",
    "promise_form": "action_submit_promise",
    "payment_trace_form": "action_submit_payment_trace",
}


def routing_rules() -> list:
    rules = [
        {
            "rule": f"{intent} is routed",
            "steps": [{"intent": intent}, {"action": "action_route_request"}],
            "wait_for_user_input": False,
        }
        for intent in ROUTED
    ]
    targets = {"identity": "identity_form", **{form: form for form in REMEDY_FORMS}}
    for value, form in targets.items():
        rules.append(
            {
                "rule": f"route to {form}",
                "steps": [
                    {"action": "action_route_request"},
                    {"slot_was_set": [{"next_step": value}]},
                    {"action": form},
                    {"active_loop": form},
                ],
            }
        )
    rules.append(
        {
            "rule": "route to an answer",
            "steps": [
                {"action": "action_route_request"},
                {"slot_was_set": [{"next_step": "answer"}]},
                {"action": "action_answer_account"},
            ],
        }
    )
    rules.append(
        {
            "rule": "route answered already",
            "steps": [
                {"action": "action_route_request"},
                {"slot_was_set": [{"next_step": "done"}]},
            ],
        }
    )
    rules.append(
        {
            "rule": "identity checked, the request resumes",
            "condition": [{"active_loop": "identity_form"}],
            "steps": [
                {"action": "identity_form"},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": "action_route_request"},
            ],
            "wait_for_user_input": False,
        }
    )
    for form, submit in REMEDY_FORMS.items():
        rules.append(
            {
                "rule": f"{form} done, stored",
                "condition": [{"active_loop": form}],
                "steps": [
                    {"action": form},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": submit},
                ],
            }
        )
    return rules


def interruption_rules() -> list:
    rules = []
    for form in ["identity_form", *REMEDY_FORMS]:
        condition = [{"active_loop": form}]
        for intent, action in SINGLE_TURN.items():
            rules.append(
                {
                    "rule": f"{intent} during {form}, then back to it",
                    "condition": condition,
                    "steps": [
                        {"intent": intent},
                        {"action": action},
                        {"action": form},
                        {"active_loop": form},
                    ],
                }
            )
        for intent, action in ENDING.items():
            rules.append(
                {
                    "rule": f"{intent} ends {form}",
                    "condition": condition,
                    "steps": [
                        {"intent": intent},
                        {"action": "action_deactivate_loop"},
                        {"active_loop": None},
                        {"action": action},
                    ],
                }
            )
        for intent in ROUTED:
            if intent == "inform":
                continue  # an answer: the form's validator takes it
            rules.append(
                {
                    "rule": f"{intent} during {form}: the new request wins",
                    "condition": condition,
                    "steps": [
                        {"intent": intent},
                        {"action": "action_deactivate_loop"},
                        {"active_loop": None},
                        {"action": "action_route_request"},
                    ],
                    "wait_for_user_input": False,
                }
            )
        cancelled = (
            "utter_identity_cancelled" if form == "identity_form" else "action_cancel_request"
        )
        rules.append(
            {
                "rule": f"deny during {form}: the customer changed their mind",
                "condition": condition,
                "steps": [
                    {"intent": "deny"},
                    {"action": "action_deactivate_loop"},
                    {"active_loop": None},
                    {"action": cancelled},
                ],
            }
        )
    return rules


def write(name: str, header: str, rules: list) -> None:
    text = yaml.safe_dump(
        {"version": "3.1", "rules": rules}, allow_unicode=True, sort_keys=False, width=120
    )
    (RULES / name).write_text(
        f"# Generated by tools/generate_rules.py: edit its tables, not this file.\n"
        f"# {header}\n{text}",
        encoding="utf-8",
    )


if __name__ == "__main__":
    write(
        "routing.yml",
        "Account questions and remedies go through action_route_request.",
        routing_rules(),
    )
    write(
        "forms.yml",
        "Messages during a form: answered then back, or the form ends.",
        interruption_rules(),
    )
