"""The production set-up, really started once for these tests: two Rasa instances and two
action servers behind nginx, conversations and loans on a PostgreSQL cluster of the tests'
own, Rasa's RedisLockStore on a Redis server of their own (tests/production/services.py).
Every test starts with everything running: what an earlier test stopped is started again."""
import asyncio
import json
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from channels.faults import NOT_ANSWERED, NOT_TAKEN, response_text
from launcher import ROOT
from launcher.production import (ProductionSettings, ProductionSetup, Ports, database_url_in_schema, ensure_schema,
                                 production_servers)
from tests.conftest import wechat_env
from tests.sms_outbox import Outbox
from tests.production.services import PrivatePostgres, PrivateRedis

NOT_TAKEN_TEXT = response_text(NOT_TAKEN, str(ROOT / "domain.yml"))
NOT_ANSWERED_TEXT = response_text(NOT_ANSWERED, str(ROOT / "domain.yml"))
REDIS_DB = 3
LOCK_PREFIX = "prodtest"


def new_sender() -> str:
    return f"prod-{uuid.uuid4().hex[:10]}"


def texts(response: requests.Response) -> str:
    return "\n".join(reply.get("text", "") for reply in response.json())


def conversation_of(sender: str) -> str:
    """The conversation of a REST sender (``new_sender()``) is ``rest:<sender>``; a WeChat
    openid and a web chat session id are their conversations' ids."""
    return f"rest:{sender}" if sender.startswith("prod-") else sender


class Production:
    """The running set-up, with what a customer and an auditor of the tracker store do."""

    def __init__(self, setup: ProductionSetup, database_url: str, redis: PrivateRedis, outbox: Outbox) -> None:
        self.setup = setup
        self.outbox = outbox  # the one-time codes the set-up sent
        self.rasa_url = setup.rasa_url
        self.instance_urls = setup.instance_urls
        self.database_url = database_url
        self.redis = redis
        self.engine = create_engine(database_url, pool_pre_ping=True)

    def say(self, sender: str, message: str, url: Optional[str] = None, message_id: Optional[str] = None,
            timeout: float = 30) -> requests.Response:
        body = {"sender": sender, "message": message, **({"message_id": message_id} if message_id else {})}
        return requests.post(f"{url or self.rasa_url}/webhooks/rest/webhook", json=body, timeout=timeout)

    def send_digits(self, sender: str, digits: str = "3021 8866", phone_tail: str = "8866",
                    url: Optional[str] = None) -> str:
        """The first factor of the identity check; returns the code the SMS brought."""
        mark = self.outbox.mark()
        asked = self.say(sender, digits, url=url)
        assert f"尾号{phone_tail}的手机" in texts(asked), texts(asked)
        return self.outbox.code_since(mark, phone_tail)

    def events(self, sender: str) -> List[Dict]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                                      {"sender": conversation_of(sender)})
            return [json.loads(data) for (data,) in rows]

    def customer_messages(self, sender: str) -> List[str]:
        """What the tracker store holds of the customer's words, in order."""
        return [event["text"] for event in self.events(sender) if event["event"] == "user"]

    def log(self, service_name: str) -> str:
        service = next(s for s in self.setup.services if s.name == service_name)
        return service.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def postgres():
    try:
        cluster = PrivatePostgres()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture(scope="session")
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def production(postgres, redis_server, tmp_path_factory, today, fake_wechat_api):
    from loandb.migrate import upgrade as create_schema
    from loandb.seed import reset_demo_customers
    from loandb.session import session_scope

    ensure_schema(postgres.url, "assistant")
    database_url = database_url_in_schema(postgres.url, "assistant")
    create_schema(database_url)
    with session_scope(database_url) as session:
        reset_demo_customers(session, today)
    work_dir = Path(tmp_path_factory.mktemp("production"))
    # One-time codes as often as these tests verify 张伟 (the real limits: tests/test_identity_journey.py).
    policy = work_dir / "policy.yml"
    policy.write_text((ROOT / "policy.yml").read_text(encoding="utf-8")
                      .replace("resend_after_seconds: 60", "resend_after_seconds: 0")
                      .replace("codes_per_hour: 5 ", "codes_per_hour: 10000 "), encoding="utf-8")
    settings = ProductionSettings(
        database_url=database_url, redis_url=redis_server.url(REDIS_DB), redis_prefix=LOCK_PREFIX,
        ports=Ports.free(), work_dir=work_dir,
        # Short, so a conversation a killed instance held is free again within the test's time.
        lock_lifetime_s=10,
        extra_env={**wechat_env(fake_wechat_api.base_url),  # plain mode
                   # A test: the codes go to a file these tests read, not to phones.
                   "SMS_OUTBOX_TEST_ONLY": "1", "SMS_OUTBOX_PATH": str(work_dir / "sms-outbox.jsonl"),
                   "LOAN_POLICY_PATH": str(policy)},
    )
    with production_servers(settings) as setup:
        yield Production(setup, database_url, redis_server, Outbox(work_dir / "sms-outbox.jsonl"))


@pytest.fixture(autouse=True)
def everything_running(production, postgres, redis_server):
    if not postgres.running:
        postgres.start()
    if not redis_server.running:
        redis_server.start()
    production.setup.start()
    yield


class WebChat:
    """A web chat customer on one instance's socket.io, as the widget talks to it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session_id = ""  # issued by the server (channels/web_sessions.py)
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue = asyncio.Queue()
        self.client.on("bot_uttered", self.received.put_nowait)

    async def __aenter__(self) -> "WebChat":
        confirmed = asyncio.get_running_loop().create_future()
        self.client.on("session_confirm", lambda session_id: confirmed.done() or confirmed.set_result(session_id))
        # Long-polling: python-engineio 4.15's websocket client needs a newer aiohttp than rasa pins.
        await self.client.connect(self.url, transports=["polling"])
        await self.client.emit("session_request", {"session_id": None})
        self.session_id = await asyncio.wait_for(confirmed, 10)
        return self

    async def __aexit__(self, *_) -> None:
        await self.client.disconnect()

    async def say(self, message: str) -> None:
        await self.client.emit("user_uttered", {"message": message, "session_id": self.session_id})

    async def next_text(self, timeout: float = 20) -> str:
        return (await asyncio.wait_for(self.received.get(), timeout)).get("text", "")
