"""The stock Rasa anchor: the starter project of `rasa init` (its rules, stories and stock
pipeline), served by the same Rasa on this machine in the same run, under the same load as
ours, so our throughput can be given as a multiple of what plain Rasa does here.

The project is made once under var/stock-bot/ and kept (with its model); `rasa init` and
`rasa train` need no network. It runs with Rasa's in-memory tracker store and no action
server (its endpoints.yml configures neither), on the REST channel of its credentials.yml.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.rest_client import say, timed_conversations
from launcher import ROOT, free_port, wait_until_up

STOCK_DIR = ROOT / "var" / "stock-bot"
# Messages of the starter bot's own intents (greet, mood_unhappy, affirm, mood_great, deny,
# bot_challenge, goodbye), taken from its data/nlu.yml.
STOCK_MESSAGES = ["hello", "I am sad", "yes", "great", "no", "are you a bot?", "goodbye"]


def rasa_bin() -> str:
    return str(Path(sys.executable).parent / "rasa")


def quiet_env() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def stock_model(directory: Path) -> Path | None:
    models = sorted((directory / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def prepare_stock_bot(directory: Path = STOCK_DIR) -> dict[str, object]:
    """The starter project and its model, made when missing: `rasa init --no-prompt` writes
    the project and trains it; a project without a model gets a `rasa train`."""
    started = time.perf_counter()
    created = trained = False
    log = directory.parent / f"{directory.name}-prepare.log"
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        if not (directory / "domain.yml").exists():
            directory.mkdir(exist_ok=True)  # `rasa init --no-prompt` wants it to exist
            print(f"creating the stock Rasa project in {directory} (rasa init)…", flush=True)
            subprocess.run(
                [rasa_bin(), "init", "--no-prompt", "--init-dir", str(directory)],
                cwd=directory,
                env=quiet_env(),
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            created = trained = True
        if stock_model(directory) is None:
            print("training the stock Rasa project…", flush=True)
            subprocess.run(
                [rasa_bin(), "train", "--quiet"],
                cwd=directory,
                env=quiet_env(),
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            trained = True
    model = stock_model(directory)
    if model is None:
        raise RuntimeError(f"no model in {directory / 'models'}; see {log}")
    check_stock_config(directory)
    return {
        "directory": str(directory.relative_to(ROOT)),
        "model": model,
        "created": created,
        "trained": trained,
        "prepare_s": round(time.perf_counter() - started, 1),
    }


def check_stock_config(directory: Path) -> None:
    """The anchor must answer on REST by itself: the REST channel on, no action server and
    no tracker store beyond Rasa's in-memory one."""
    credentials = yaml.safe_load((directory / "credentials.yml").read_text()) or {}
    if "rest" not in credentials:
        raise RuntimeError(f"{directory / 'credentials.yml'} does not enable the REST channel")
    endpoints = yaml.safe_load((directory / "endpoints.yml").read_text()) or {}
    needed = sorted({"action_endpoint", "tracker_store", "lock_store"} & set(endpoints))
    if needed:
        raise RuntimeError(f"{directory / 'endpoints.yml'} configures {needed}")


@dataclass
class StockServer:
    url: str
    pid: int
    startup_seconds: float


@contextmanager
def running_stock(
    model: Path, work_dir: Path, directory: Path = STOCK_DIR
) -> Iterator[StockServer]:
    """`rasa run` of the starter project on a free port; its log in ``work_dir``."""
    port = free_port()
    command = [
        rasa_bin(),
        "run",
        "--enable-api",  # /status, to know when it is up (our server runs with it too)
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(directory / "endpoints.yml"),
        "--credentials",
        str(directory / "credentials.yml"),
    ]
    with open(work_dir / "stock-rasa.log", "w") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=directory, env=quiet_env(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{url}/status", process, 300)
            yield StockServer(url, process.pid, time.monotonic() - started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def stock_turns(url: str, conversations: int, turns: int) -> dict[str, object]:
    """That many conversations at once with the starter bot, ``turns`` messages each."""

    async def conversation(session, index: int, latencies: list[float]) -> None:
        sender = f"stock-{index}-{time.time_ns()}"
        for turn in range(turns):
            text = STOCK_MESSAGES[(index + turn) % len(STOCK_MESSAGES)]
            latencies.append(await say(session, url, sender, text))

    return await timed_conversations(conversations, conversation)


def to_markdown(result: dict) -> list[str]:
    """The section of report.md: stock Rasa under the same load, and ours as a multiple."""
    stock, modes = result["stock"], result["modes"]
    names = list(modes)
    project = result.get("stock_project", {})
    lines = [
        "## Stock Rasa anchor, same run",
        "",
        (
            f"The `rasa init` starter project ({project.get('directory', 'var/stock-bot')}, "
            f"model `{project.get('model', '')}`; stock pipeline, in-memory tracker, no action "
            "server) under the same load: the same conversations at once, as many turns "
            f"each, of its own messages ({', '.join(repr(m) for m in STOCK_MESSAGES)}). "
            "x stock: our turns/s over stock's."
        ),
        "",
        "| conversations at once | stock p50 ms | stock p95 ms | stock turns/s | "
        + " | ".join(f"{m} turns/s | {m} x stock" for m in names)
        + " |",
        "|---|---|---|---|" + "---|---|" * len(names),
    ]
    for index, row in enumerate(stock["rest_turns"]):
        ours = [modes[m]["rest_turns"][index] for m in names]
        lines.append(
            f"| {row['conversations']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['turns_per_s']} | "
            + " | ".join(f"{o['turns_per_s']} | {o.get('turns_per_s_vs_stock')}x" for o in ours)
            + " |"
        )
    lines += [
        "",
        "CPU milliseconds per turn of the stock Rasa server: "
        + ", ".join(
            f"{row['conversations']} at once: {row['cpu_ms_per_turn']['rasa']}"
            for row in stock["rest_turns"]
        )
        + ".",
    ]
    return lines
