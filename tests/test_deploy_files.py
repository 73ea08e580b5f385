"""The Kubernetes files cannot run here; these checks keep them in step with the code."""
import re

import pytest
import yaml

from launcher import ROOT

DEPLOY = ROOT / "deploy"


def yaml_documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="module")
def rasa_values() -> dict:
    return yaml_documents(DEPLOY / "helm" / "rasa-values.yaml")[0]


@pytest.fixture(scope="module")
def console_manifests() -> list:
    return yaml_documents(DEPLOY / "k8s" / "console.yaml")


def env_names(env: list) -> set:
    return {item["name"] for item in env}


def secret_keys(value) -> set:
    """Every secretKeyRef key anywhere in a manifest."""
    if isinstance(value, dict):
        found = {value["secretKeyRef"]["key"]} if "secretKeyRef" in value else set()
        return found.union(*(secret_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(secret_keys(v) for v in value))
    return set()


def test_the_cluster_runs_the_same_channels_as_credentials_yml(rasa_values):
    local = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    cluster = rasa_values["applicationSettings"]["credentials"]["additionalChannelCredentials"]
    assert set(cluster) == set(local)
    for channel, settings in local.items():
        assert set(cluster[channel] or {}) == set(settings or {}), channel


def test_every_variable_rasa_reads_is_given_to_its_pods(rasa_values):
    settings = rasa_values["applicationSettings"]
    text = yaml.safe_dump(settings["credentials"]) + yaml.safe_dump(settings["endpoints"])
    wanted = set(re.findall(r"\$\{(\w+)\}", text)) | {"TRACKER_DB_URL"}  # the tracker store reads it
    assert wanted <= env_names(rasa_values["extraEnv"])


def test_the_stores_are_those_of_the_production_profile(rasa_values):
    """The cluster keeps conversations and locks the way bin/run-production does."""
    endpoints = rasa_values["applicationSettings"]["endpoints"]
    profile = yaml.safe_load((ROOT / "endpoints.production.yml").read_text(encoding="utf-8"))
    assert endpoints["trackerStore"]["type"] == profile["tracker_store"]["type"]
    assert endpoints["lockStore"]["enabled"] and endpoints["lockStore"]["type"] == profile["lock_store"]["type"]
    for kind in (profile["tracker_store"]["type"], profile["lock_store"]["type"]):
        module, _, name = kind.rpartition(".")
        assert getattr(__import__(module, fromlist=[name]), name).__name__ == name
    assert rasa_values["replicaCount"] >= 2 and rasa_values["rasa-action-server"]["replicaCount"] >= 2


def test_action_servers_and_consoles_get_the_databases_they_read(rasa_values, console_manifests):
    assert "LOAN_DB_URL" in env_names(rasa_values["rasa-action-server"]["extraEnv"])
    deployments = {doc["metadata"]["name"]: doc for doc in console_manifests if doc["kind"] == "Deployment"}
    console_env = env_names(deployments["overdue-console"]["spec"]["template"]["spec"]["containers"][0]["env"])
    assert {"LOAN_DB_URL", "TRACKER_DB_URL", "RASA_URL", "RASA_API_TOKEN", "CONSOLE_SECRET_KEY"} <= console_env
    scheduler = deployments["overdue-reminders"]["spec"]["template"]["spec"]["containers"][0]
    module = scheduler["command"][scheduler["command"].index("-m") + 1]
    assert (ROOT / (module.replace(".", "/") + ".py")).exists(), f"{module} is not in the repository"


def test_the_secret_command_creates_every_key_the_manifests_use(rasa_values, console_manifests):
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    created = set(re.findall(r"--from-literal=([\w-]+)=", readme))
    used = secret_keys(rasa_values) | secret_keys(console_manifests)
    assert used <= created, used - created


def test_no_secret_is_written_into_the_deployment_files(rasa_values, console_manifests):
    for path in [DEPLOY / "helm" / "rasa-values.yaml", DEPLOY / "k8s" / "console.yaml", DEPLOY / "Dockerfile"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?i)(password|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{12,}", text), path


def test_each_image_target_exists_and_runs_its_process():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = [stage.split("\n", 1) for stage in re.split(r"^FROM ", dockerfile, flags=re.M)[1:]]
    targets = {head.split(" AS ")[1].strip(): body for head, body in stages}
    assert {"rasa", "actions", "console"} <= set(targets)
    assert "actions" in targets["actions"] or "run" in targets["actions"]
    assert "console.app:create_app" in targets["console"] and "loandb.migrate" in targets["console"]
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git", ".env"} <= set(ignored)
