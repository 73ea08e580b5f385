"""Starts the real Rasa server and action server on free ports, for tests and benchmarks."""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from settings import current

ROOT = Path(__file__).resolve().parent.parent


# credentials.yml names these; Rasa refuses to start when one is missing from the environment.
def wechat_env() -> dict:
    """The WeChat settings every Rasa process gets (credentials.yml reads them as ${...},
    and Rasa refuses a missing one: unset ones go as empty)."""
    settings = current()
    return {
        "WECHAT_TOKEN": settings.wechat_token,
        "WECHAT_APP_ID": settings.wechat_app_id,
        "WECHAT_APP_SECRET": settings.wechat_app_secret,
        "WECHAT_ENCODING_AES_KEY": settings.wechat_encoding_aes_key,
        "WECHAT_API_BASE_URL": settings.wechat_api_base_url,
        "WECHAT_REDIS_URL": settings.wechat_redis_url,
        "WECHAT_REPLY_TIMEOUT": str(settings.wechat_reply_timeout),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model() -> Path:
    """The model bin/train keeps in models/, trained first when there is none."""

    def newest_first() -> list:
        return sorted(
            (ROOT / "models").glob("assistant-*.tar.gz"),
            key=lambda path: path.stat().st_mtime,
            reverse=True,
        )

    if not newest_first():
        subprocess.run([str(ROOT / "bin" / "train")], check=True, cwd=ROOT)
    return newest_first()[0]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up in {timeout} s")


@dataclass
class RunningServers:
    rasa_url: str
    tracker_db: Path
    loans_url: str
    work_dir: Path
    rasa_pid: int
    actions_pid: int
    startup_seconds: float
    action_url: str = ""
    action_token: str = ""
    sms_outbox: Path | None = (
        None  # where the SMS outbox backend writes the codes these servers send
    )


@contextmanager
def running_servers(
    work_dir: Path, loans_url: str, model: Path | None = None, extra_env: dict | None = None
) -> Iterator[RunningServers]:
    """Both servers, with conversations in a SQLite file under ``work_dir``; logs there too."""
    rasa_port, action_port = free_port(), free_port()
    # The action server refuses calls without this secret; Rasa sends it (endpoints.yml below).
    action_token = current().action_server_token or secrets.token_urlsafe(24)
    tracker_db = work_dir / "tracker.db"
    endpoints = work_dir / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "action_endpoint": {
                    "url": f"http://127.0.0.1:{action_port}/webhook",
                    "token": action_token,
                },
                "tracker_store": {"type": "persistence.tracker_store.UrlSQLTrackerStore"},
            }
        )
    )
    env = {
        **os.environ,
        "ACTION_SERVER_TOKEN": action_token,
        "LOAN_DB_URL": loans_url,
        "TRACKER_DB_URL": f"sqlite:///{tracker_db}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **wechat_env(),
        "SMS_OUTBOX_PATH": str(work_dir / "sms-outbox.jsonl"),  # each set of servers its own codes
        **(extra_env or {}),
    }
    rasa_bin = str(Path(sys.executable).parent / "rasa")
    commands: list[list[str]] = [
        [sys.executable, "-m", "action_server", "--port", str(action_port), "--actions", "actions"],
        [
            rasa_bin,
            "run",
            "--enable-api",
            "--port",
            str(rasa_port),
            "--model",
            str(model or latest_model()),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
        ],
    ]
    # Closed only after both processes have stopped (the finally below runs first).
    with (
        open(work_dir / "actions.log", "w") as actions_log,
        open(work_dir / "rasa.log", "w") as rasa_log,
    ):
        logs = [actions_log, rasa_log]
        started = time.monotonic()
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            for command, log in zip(commands, logs, strict=True)
        ]
        actions, rasa = processes
        try:
            wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, 120)
            wait_until_up(f"http://127.0.0.1:{rasa_port}/status", rasa, 300)
            yield RunningServers(
                f"http://127.0.0.1:{rasa_port}",
                tracker_db,
                loans_url,
                work_dir,
                rasa.pid,
                actions.pid,
                time.monotonic() - started,
                f"http://127.0.0.1:{action_port}",
                action_token,
                sms_outbox=Path(env["SMS_OUTBOX_PATH"]),
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
