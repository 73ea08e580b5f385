"""The production edge as configured (issue 14): nginx's generated config, the container
image's refusal to start without a token, the Helm ingress and the NetworkPolicy. The
running profile is tried for real in tests/production/test_edge.py."""
import os
import re
import subprocess

import pytest
import yaml

from launcher import ROOT
from launcher.nginx import write_nginx_conf

DEPLOY = ROOT / "deploy"
CHANNEL_PATHS = {"/webhooks/rest/", "/webhooks/wechat/", "/webhooks/socketio/", "/socket.io/"}


@pytest.fixture(scope="module")
def nginx_conf(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("nginx")
    return write_nginx_conf(work, rasa_port=8000, actions_port=8055, rasa_ports=[5005, 5006],
                            action_ports=[5055, 5056], listen_host="0.0.0.0", action_timeout_s=20,
                            api_port=8005).read_text()


def server_blocks(conf: str) -> dict:
    """``listen`` address -> that server block's text."""
    blocks = {}
    for match in re.finditer(r"\n    server \{\n(.*?)\n    \}\n", conf, flags=re.S):
        body = match.group(1)
        blocks[re.search(r"listen ([^;]+);", body).group(1)] = body
    return blocks


def test_the_public_listener_serves_only_the_customers_channels(nginx_conf):
    edge = server_blocks(nginx_conf)["0.0.0.0:8000"]
    locations = re.findall(r"location ([^{]+)\{(.*?)\n        \}", edge, flags=re.S)
    proxied = {where.strip() for where, body in locations if "proxy_pass" in body}
    assert proxied == {"/socket.io/", "~ ^/webhooks/(rest|wechat|socketio)/", "= /"}
    catch_all = dict((where.strip(), body) for where, body in locations)["/"]
    assert "return 404" in catch_all and "proxy_pass" not in catch_all
    for path in ("/conversations/x/tracker", "/model/parse", "/status", "/webhooks/x/"):
        assert not re.match(r"^/webhooks/(rest|wechat|socketio)/", path)


def test_rasas_http_api_and_the_action_servers_listen_on_loopback_only(nginx_conf):
    listeners = set(server_blocks(nginx_conf))
    assert listeners == {"0.0.0.0:8000", "127.0.0.1:8005", "127.0.0.1:8055"}


def test_access_logs_never_hold_query_strings(nginx_conf):
    formats = re.findall(r"log_format \w+ (.*?);", nginx_conf, flags=re.S)
    assert formats
    for log_format in formats:
        assert "$request_uri" not in log_format and "$args" not in log_format
        assert "$query_string" not in log_format and not re.search(r"\$request\b(?!_)", log_format)


@pytest.mark.parametrize("env, refused", [({}, True), ({"RASA_API_TOKEN": "t0ken-from-secret"}, False),
                                          ({"RASA_TOKEN": "chart-token"}, False)])
def test_the_rasa_image_refuses_to_start_without_a_token(tmp_path, env, refused):
    fake_rasa = tmp_path / "rasa"  # stands in for rasa: prints the arguments it was given
    fake_rasa.write_text('#!/bin/sh\necho "rasa $*"\n')
    fake_rasa.chmod(0o755)
    done = subprocess.run(["sh", str(DEPLOY / "rasa-entrypoint.sh"), "run", "--enable-api"],
                          env={"PATH": f"{tmp_path}:{os.environ['PATH']}", "CORS_ORIGINS": "https://www.bank.example",
                               **env}, capture_output=True, text=True, timeout=10)
    if refused:
        assert done.returncode != 0 and "RASA_API_TOKEN is not set" in done.stderr and "rasa" not in done.stdout
    else:
        token = next(iter(env.values()))
        assert done.returncode == 0
        assert done.stdout.split() == ["rasa", "run", "--enable-api", f"--auth-token={token}", "--cors",
                                       "https://www.bank.example"]


def test_the_images_run_the_guarded_servers():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["/app/deploy/rasa-entrypoint.sh"]' in dockerfile
    assert 'ENTRYPOINT ["python", "-m", "action_server"]' in dockerfile
    assert '"run", "actions"' not in dockerfile  # rasa-sdk's own server would answer anyone


def test_the_ingress_publishes_the_channels_and_nothing_else():
    values = yaml.safe_load((DEPLOY / "helm" / "rasa-values.yaml").read_text(encoding="utf-8"))
    ingress = values["ingress"]
    paths = {ingress["path"]} | {extra["path"] for extra in ingress.get("extraPaths", [])}
    assert paths == CHANNEL_PATHS
    assert "--cors" not in values["args"] and values["applicationSettings"]["cors"] != "*"
    action_server = values["rasa-action-server"]
    assert action_server["command"] == ["python", "-m", "action_server"]
    assert "ACTION_SERVER_TOKEN" in {env["name"] for env in action_server["extraEnv"]}
    rasa_env = {env["name"]: env for env in values["extraEnv"]}
    assert "$(ACTION_SERVER_TOKEN)" in rasa_env["ACTION_SERVER_URL"]["value"]


def test_only_rasa_pods_reach_the_action_servers():
    policies = [doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / "network-policy.yaml").read_text()) if doc]
    guarding = [p for p in policies
                if p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == "rasa-action-server"]
    [policy] = guarding
    [rule] = policy["spec"]["ingress"]
    assert [peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"]] == ["rasa"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5055}]


def test_procfile_and_endpoints_use_the_secret_and_the_cors_allow_list():
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8")
    assert "python -m action_server" in procfile and '--cors "*"' not in procfile
    assert "--cors $CORS_ORIGINS" in procfile
    for name in ("endpoints.yml", "endpoints.production.yml"):
        endpoints = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
        assert endpoints["action_endpoint"]["token"] == "${ACTION_SERVER_TOKEN}", name
