"""Action servers killed mid-conversation: with one left, nginx sends the work to it and the
customer notices nothing; with none, the customer gets a short apology, their message is
kept, and the conversation goes on once the servers are back."""
import re

import pytest

from tests.production.conftest import NOT_ANSWERED_TEXT, conversation_of, new_sender, texts

pytestmark = pytest.mark.production


def test_the_other_action_server_serves_on(production):
    sender = new_sender()
    assert "身份证号后四位" in texts(production.say(sender, "我现在欠多少钱"))
    production.setup.action_servers[0].kill()
    code = production.send_digits(sender)
    for message, expected in [(code, "12,000.00元"), ("罚息是多少", "132.00元"), ("会影响征信吗", "征信")]:
        answer = texts(production.say(sender, message))
        assert expected in answer and NOT_ANSWERED_TEXT not in answer
    assert production.customer_messages(sender) == ["我现在欠多少钱", "3021 8866", code, "罚息是多少", "会影响征信吗"]


def test_no_action_server_an_apology_then_the_conversation_goes_on(production):
    sender = new_sender()
    assert "身份证号后四位" in texts(production.say(sender, "我现在欠多少钱"))
    for server in production.setup.action_servers:
        server.kill()

    during = [production.say(sender, message) for message in ["3021 8866", "罚息是多少"]]
    for response in during:
        assert response.status_code == 200
        assert texts(response) == NOT_ANSWERED_TEXT
    assert "12,000.00元" not in "".join(texts(r) for r in during)

    for server in production.setup.action_servers:
        server.start()
        server.wait_up()
    code = production.send_digits(sender, "身份证后四位3021，手机尾号8866")
    after = texts(production.say(sender, code))
    assert "12,000.00元" in after and NOT_ANSWERED_TEXT not in after
    assert "132.00元" in texts(production.say(sender, "罚息是多少"))
    assert production.customer_messages(sender) == [
        "我现在欠多少钱", "3021 8866", "罚息是多少", "身份证后四位3021，手机尾号8866", code, "罚息是多少"]
    logs = production.log("rasa-1") + production.log("rasa-2")
    assert re.search(rf"conversation {conversation_of(sender)}: \d+ action\(s\) failed \(is the action server reachable\?\)", logs)
