"""The production edge (issue 14): nginx publishes the customers' channels only, keeps tokens
out of its access log, and the action servers refuse anyone without the shared secret."""
import pytest
import requests

from tests.production.conftest import new_sender, texts

pytestmark = pytest.mark.production


def test_the_edge_serves_the_channels_but_never_rasas_http_api(production):
    token = production.setup.settings.api_token
    sender = new_sender()
    assert "小邮" in texts(production.say(sender, "你好"))  # the REST channel works through the edge
    assert requests.get(f"{production.rasa_url}/webhooks/wechat/", timeout=10).status_code == 200
    # The attack: Rasa's API through the edge, even with the right token.
    for path in (f"/conversations/rest:{sender}/tracker", "/model/parse", "/status", "/version"):
        refused = requests.get(f"{production.rasa_url}{path}", params={"token": token}, timeout=10)
        assert refused.status_code == 404, path
    posted = requests.post(f"{production.rasa_url}/conversations/rest:{sender}/tracker/events",
                           params={"token": token}, json=[{"event": "slot", "name": "verified", "value": True}],
                           timeout=10)
    assert posted.status_code == 404
    # The console's listener (loopback only) reads the same conversation with the token.
    inside = requests.get(f"{production.setup.api_url}/conversations/rest:{sender}/tracker",
                          params={"token": token}, timeout=10)
    assert inside.status_code == 200 and inside.json()["sender_id"] == f"rest:{sender}"


def test_tokens_never_reach_the_access_log(production):
    token = production.setup.settings.api_token
    requests.get(f"{production.setup.api_url}/status", params={"token": token}, timeout=10)
    production.say(new_sender(), "我现在欠多少钱")  # Rasa calls the action servers with their secret
    log = (production.setup.settings.work_dir / "nginx-access.log").read_text(errors="replace")
    assert "/status" in log and "/webhook" in log
    assert token not in log and production.setup.settings.action_token not in log and "token=" not in log


def test_the_action_servers_refuse_a_caller_without_the_secret(production):
    forged = {"next_action": "action_account_answer", "sender_id": "x", "version": "3.6.21",
              "tracker": {"sender_id": "x", "slots": {"verified": True, "customer_id": 1}, "events": [],
                          "latest_message": {}, "active_loop": {}}, "domain": {}}
    actions_balancer = f"http://127.0.0.1:{production.setup.settings.ports.actions}/webhook"
    for url in [actions_balancer] + [f"http://127.0.0.1:{port}/webhook"
                                      for port in production.setup.settings.ports.action_servers]:
        assert requests.post(url, json=forged, timeout=10).status_code == 401
        assert requests.post(url, params={"token": "guess"}, json=forged, timeout=10).status_code == 401
