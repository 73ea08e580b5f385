"""Where the time of one REST turn goes, stage by stage.

Runs Rasa's message processor in this process, with the same model and the real action
server and a SQLite tracker store of its own, and times each stage of a turn: reading the
tracker, NLU, policy prediction, the custom actions (and inside them the HTTP round trip to
the action server and the check of its answer) and writing the tracker. cProfile
records the same turns, for the functions behind the numbers.
"""

import asyncio
import cProfile
import io
import json
import pstats
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dialogue import action_calls
from launcher import ROOT

QUESTIONS = ["我现在欠多少钱", "罚息是多少", "会影响征信吗", "怎么还款"]
IDENTITIES = ["3021 8866", "452X 5521", "7788 0019"]
# Where each identity's one-time code goes: the last four of the phone on file.
PHONE_TAILS = {"3021 8866": "8866", "452X 5521": "5521", "7788 0019": "0019"}


def relaxed_policy(work: Path) -> Path:
    """policy.yml with codes as often as the benchmark verifies (it measures turns, not limits)."""
    path = work / "policy.yml"
    path.write_text(
        (ROOT / "policy.yml")
        .read_text(encoding="utf-8")
        .replace("resend_after_seconds: 60", "resend_after_seconds: 0")
        .replace("codes_per_hour: 5 ", "codes_per_hour: 100000 "),
        encoding="utf-8",
    )
    return path


def newest_code(outbox: Path, phone_tail: str, after: int) -> str:
    """The code the SMS outbox got for that phone after its first ``after`` lines."""
    for line in reversed(
        outbox.read_text(encoding="utf-8").splitlines()[after:] if outbox.exists() else []
    ):
        entry = json.loads(line)
        found = re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", entry["text"])
        if entry["phone"].endswith(phone_tail) and found:
            return found.group(0)
    raise RuntimeError(f"no one-time code for the phone ending {phone_tail} in {outbox}")


def outbox_lines(outbox: Path) -> int:
    return len(outbox.read_text(encoding="utf-8").splitlines()) if outbox.exists() else 0


# (stage, class path, method, is coroutine); nested stages are listed after their parent.
STAGES: list[tuple[str, str, str, bool]] = [
    ("turn", "rasa.core.processor.MessageProcessor", "handle_message", True),
    ("tracker store read", "persistence.tracker_store.UrlSQLTrackerStore", "retrieve", True),
    ("NLU", "rasa.core.processor.MessageProcessor", "parse_message", True),
    (
        "policy prediction",
        "rasa.core.processor.MessageProcessor",
        "_predict_next_with_tracker",
        False,
    ),
    ("custom actions", "rasa.core.actions.action.RemoteAction", "run", True),
    ("  action server round trip (HTTP)", "rasa.utils.endpoints.EndpointConfig", "request", True),
    (
        "  check of the action server's answer",
        "rasa.core.actions.action.RemoteAction",
        "_validate_action_result",
        False,
    ),
    ("tracker store write", "rasa.core.tracker_store.SQLTrackerStore", "save", True),
]
TOP_LEVEL = [
    "tracker store read",
    "NLU",
    "policy prediction",
    "custom actions",
    "tracker store write",
]


def _class(path: str) -> type:
    import importlib

    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _timed(method: Callable, stage: str, totals: dict[str, float], coroutine: bool) -> Callable:
    if coroutine:

        async def timed_coroutine(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                totals[stage] += time.perf_counter() - started

        return timed_coroutine

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[stage] += time.perf_counter() - started

    return timed


@contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Wall time per stage, summed, while the block runs; Rasa's classes restored after."""
    totals: dict[str, float] = defaultdict(float)
    originals = []
    for stage, path, name, coroutine in STAGES:
        owner = _class(path)
        method = owner.__dict__[name]
        originals.append((owner, name, method))
        setattr(owner, name, _timed(method, stage, totals, coroutine))
    try:
        yield totals
    finally:
        for owner, name, method in reversed(originals):
            setattr(owner, name, method)


def load_agent(model: Path, action_url: str, tracker_db: Path, action_token: str | None = None):
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from persistence.tracker_store import UrlSQLTrackerStore

    # The action server refuses calls without its secret (action_server/).
    agent = Agent.load(str(model), action_endpoint=EndpointConfig(action_url, token=action_token))
    # The project's store (endpoints.yml), on a file of its own.
    store = UrlSQLTrackerStore(domain=agent.domain, url=f"sqlite:///{tracker_db}")
    agent.tracker_store = agent.processor.tracker_store = store
    return agent


async def _conversations(agent, prefix: str, conversations: int, turns: int, outbox: Path) -> int:
    said = 0
    for index in range(conversations):
        sender = f"{prefix}-{index}-{time.time_ns()}"
        await agent.handle_text("我现在欠多少钱", sender_id=sender)
        identity = IDENTITIES[index % len(IDENTITIES)]
        mark = outbox_lines(outbox)
        await agent.handle_text(identity, sender_id=sender)
        await agent.handle_text(newest_code(outbox, PHONE_TAILS[identity], mark), sender_id=sender)
        for turn in range(turns):
            await agent.handle_text(QUESTIONS[turn % len(QUESTIONS)], sender_id=sender)
        said += turns + 3
    return said


def quiet_rasa() -> None:
    """The processor logs every state at debug level here; that would be timed too."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


@contextmanager
def answer_check(fast: bool) -> Iterator[None]:
    """Rasa's own check of action answers (fast=False), or the cached one."""
    (action_calls.enable if fast else action_calls.disable)()
    try:
        yield
    finally:
        action_calls.install_from_environment()


OTHER = "other (events, rules of the processor, responses)"


def profile_turns(
    agent, modes: dict[str, bool], outbox: Path, conversations: int = 4, turns: int = 10
) -> dict[str, dict]:
    """Per mode (name: cached check or not), milliseconds per turn in each stage; the modes
    take turns conversation by conversation, so a change in the machine's load hits all.
    Then cProfile's view of one more conversation per mode (profiling slows Python code
    several times over, so the stage times are taken without it)."""
    quiet_rasa()
    asyncio.run(_conversations(agent, "warm-up", 1, 2, outbox))
    totals: dict[str, dict[str, float]] = {mode: defaultdict(float) for mode in modes}
    said = dict.fromkeys(modes, 0)
    for _ in range(conversations):
        for mode, fast in modes.items():
            with answer_check(fast), stage_timers() as timed:
                said[mode] += asyncio.run(_conversations(agent, f"timed-{mode}", 1, turns, outbox))
            for stage, seconds in timed.items():
                totals[mode][stage] += seconds
    results = {}
    for mode, fast in modes.items():
        profiler = cProfile.Profile()
        with answer_check(fast):
            profiler.enable()
            asyncio.run(_conversations(agent, f"profiled-{mode}", 1, turns, outbox))
            profiler.disable()
        per_turn = {
            stage: round(totals[mode][stage] / said[mode] * 1000, 1) for stage, *_ in STAGES
        }
        per_turn[OTHER] = round(per_turn["turn"] - sum(per_turn[stage] for stage in TOP_LEVEL), 1)
        results[mode] = {
            "turns": said[mode],
            "ms_per_turn": per_turn,
            "cprofile": _top_functions(profiler),
        }
    return results


def _top_functions(profiler: cProfile.Profile, count: int = 25) -> str:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(count)
    stats.sort_stats("cumulative").print_stats(count)
    return text.getvalue()
