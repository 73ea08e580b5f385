"""Shared fixtures: seeded loan databases (SQLite, and PostgreSQL when it answers), and
one real Rasa server plus action server for the whole session."""
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

import pytest
import requests
import yaml

from launcher import ROOT, RunningServers, free_port, running_servers, wait_until_up
from tests.sms_outbox import Outbox
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ["LOAN_POLICY_PATH"] = str(ROOT / "policy.yml")
# One business date for the whole run, here and in every server started from here: a run that
# crosses midnight in China would otherwise seed 张伟 12 days overdue and then read him at 13.
from overdue.clock import today_in_china  # noqa: E402

os.environ.setdefault("BANK_BUSINESS_DATE", today_in_china().isoformat())
# Shared by the servers started here and the tests: web chat session ids and bank-login
# tokens are signed with these (channels/web_sessions.py, overdue/bank_login.py).
os.environ.setdefault("WEBCHAT_SESSION_SECRET", uuid.uuid4().hex + uuid.uuid4().hex)
os.environ.setdefault("BANK_LOGIN_TOKEN_SECRET", uuid.uuid4().hex + uuid.uuid4().hex)


def _postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(POSTGRES_URL, connect_timeout=2).close()
        return True
    except Exception:
        return False


def _database_params():
    params = ["sqlite"]
    params.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not _postgres_available(), reason="PostgreSQL not answering"),
        )
    )
    return params


@pytest.fixture(scope="session")
def today() -> date:
    from overdue.clock import today_in_china

    return today_in_china()


@pytest.fixture(scope="session", params=_database_params())
def db_url(request, tmp_path_factory) -> Iterator[str]:
    """An empty loan database URL: a SQLite file, or a fresh schema on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'loans.db'}"
        return
    import psycopg2

    schema = f"test_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(POSTGRES_URL)
    connection.autocommit = True
    connection.cursor().execute(f"CREATE SCHEMA {schema}")
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    connection.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
    connection.close()


@pytest.fixture(scope="session")
def seeded_db_url(db_url, today) -> str:
    """The database with the schema and the three demo customers."""
    from loandb.migrate import upgrade as create_schema
    from loandb.seed import reset_demo_customers
    from loandb.session import session_scope

    create_schema(db_url)
    with session_scope(db_url) as session:
        reset_demo_customers(session, today)
    return db_url


@pytest.fixture(scope="session")
def sqlite_loans(tmp_path_factory, today) -> str:
    """A seeded SQLite loan database, set as LOAN_DB_URL for the actions under test."""
    from loandb.migrate import upgrade as create_schema
    from loandb.seed import reset_demo_customers
    from loandb.session import session_scope

    url = f"sqlite:///{tmp_path_factory.mktemp('actions') / 'loans.db'}"
    create_schema(url)
    with session_scope(url) as session:
        reset_demo_customers(session, today)
    os.environ["LOAN_DB_URL"] = url
    return url


@pytest.fixture(scope="session")
def domain() -> dict:
    with open(ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# --- the real servers -------------------------------------------------------------

# What each demo customer types to prove who they are (loandb/seed.py's demo customers).
DEMO_IDENTITY = {"张伟": "身份证后四位3021，手机尾号8866", "李娜": "身份证后四位452X，手机尾号5521",
                 "王强": "身份证后四位7788，手机尾号0019"}
DEMO_PHONE_TAIL = {"张伟": "8866", "李娜": "5521", "王强": "0019"}


class Servers:
    """The running servers, with helpers to talk to them as a customer would."""

    def __init__(self, running: RunningServers) -> None:
        self.rasa_url = running.rasa_url
        self.tracker_db = running.tracker_db
        self.loans_url = running.loans_url
        self.outbox = Outbox(running.sms_outbox)  # the codes these servers sent
        self.action_url, self.action_token = running.action_url, running.action_token  # action server

    def say(self, sender: str, message) -> list:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def texts(self, sender: str, message: str) -> str:
        return "\n".join(reply.get("text", "") for reply in self.say(sender, message))

    def verify(self, sender: str, customer: str = "张伟", digits: Optional[str] = None) -> str:
        """Takes ``sender`` through the whole identity check as the demo customer would (the
        digits, or ``digits`` as the customer words them; then the code the SMS brought, read
        from these servers' outbox), and returns the text of the answer that follows it (the
        pending question's answer, if any). Every conversation test verifies through here, so
        a change to the identity journey changes one place."""
        return "\n".join(reply.get("text", "") for reply in self.verify_replies(sender, customer, digits))

    def verify_replies(self, sender: str, customer: str = "张伟", digits: Optional[str] = None) -> list:
        """As ``verify``, the replies to the code as they came (with their buttons)."""
        mark = self.outbox.mark()
        asked = self.texts(sender, digits or DEMO_IDENTITY[customer])
        assert f"尾号{DEMO_PHONE_TAIL[customer]}的手机" in asked, asked
        return self.say(sender, self.outbox.code_since(mark, DEMO_PHONE_TAIL[customer]))

    def parse(self, text: str) -> dict:
        response = requests.post(f"{self.rasa_url}/model/parse", json={"text": text}, timeout=30)
        response.raise_for_status()
        return response.json()


WECHAT_TOKEN = "spamtest"
WECHAT_APP_ID = "wx2c2769f8efd9abc2"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture(scope="session")
def fake_wechat_api():
    from tests.fake_wechat_api import FakeWeChatAPI

    with FakeWeChatAPI() as api:
        yield api


def wechat_env(api_base_url: str, aes_key: str = "", reply_timeout: str = "4") -> dict:
    return {"WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APP_ID": WECHAT_APP_ID, "WECHAT_APP_SECRET": "test-secret",
            "WECHAT_ENCODING_AES_KEY": aes_key, "WECHAT_API_BASE_URL": api_base_url,
            "WECHAT_REPLY_TIMEOUT": reply_timeout}


@pytest.fixture(scope="session")
def servers(tmp_path_factory, today, fake_wechat_api) -> Iterator[Servers]:
    """The Rasa server and the action server, really started, on free ports."""
    from loandb.migrate import upgrade as create_schema
    from loandb.seed import reset_demo_customers
    from loandb.session import session_scope

    work = tmp_path_factory.mktemp("servers")
    loans_url = f"sqlite:///{work / 'loans.db'}"
    create_schema(loans_url)
    with session_scope(loans_url) as session:
        reset_demo_customers(session, today)
    # People answer around the clock here, so handoff tests do not depend on the hour CI runs.
    policy = work / "policy.yml"
    # And one-time codes as often as the journeys here need them (tests/test_identity_journey.py
    # checks the real resend limits on servers of its own).
    policy.write_text((ROOT / "policy.yml").read_text(encoding="utf-8")
                      .replace('opens: "07:00"', 'opens: "00:00"').replace('closes: "23:00"', 'closes: "23:59:59"')
                      .replace("resend_after_seconds: 60", "resend_after_seconds: 0")
                      .replace("codes_per_hour: 5 ", "codes_per_hour: 10000 "),
                      encoding="utf-8")
    # WeChat in safe mode here; tests/test_wechat.py starts a plain-mode server of its own.
    # A window of a few turns (the default is about twelve), so that every longer conversation
    # here is also a test of reading conversations windowed (persistence/tracker_store.py).
    env = {"LOAN_POLICY_PATH": str(policy), "TRACKER_WINDOW_EVENTS": "60",
           **wechat_env(fake_wechat_api.base_url, WECHAT_AES_KEY)}
    with running_servers(work, loans_url, extra_env=env) as running:
        yield Servers(running)


def forget_identity_failures(loans_url: str) -> None:
    """No failed checks, locks or codes sent left: a test that fails on purpose must not lock
    the demo customers for the tests after it, nor its codes count towards their resend limits
    (all of it lives in the database, across conversations)."""
    from sqlalchemy import delete

    from loandb.models import IdentityFailure, IdentityLock, OneTimeCode
    from loandb.session import session_scope

    with session_scope(loans_url) as session:
        session.execute(delete(IdentityFailure))
        session.execute(delete(IdentityLock))
        session.execute(delete(OneTimeCode))


@pytest.fixture
def failing_on_purpose(servers):
    """For a test that fails identity checks on purpose: its failures are forgotten after it."""
    yield servers
    forget_identity_failures(servers.loans_url)


@pytest.fixture
def no_card_plans(servers):
    """张伟 without an instalment plan, whatever earlier journeys on these servers did."""
    from sqlalchemy import delete

    from loandb.models import ServiceRequest
    from loandb.session import session_scope

    with session_scope(servers.loans_url) as session:
        session.execute(delete(ServiceRequest).where(ServiceRequest.kind == "card_installment"))


# --- the console and a real browser, for the browser tests ------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
AGENT, PASSWORD = "browser-agent", "browser agent password"  # the browser tests' agent


@pytest.fixture(scope="session")
def console_url(servers, tmp_path_factory):
    """The console as bin/run starts it, on the test servers' databases."""
    from sqlalchemy import select

    from overdue.passwords import hash_password
    from loandb.models import Agent
    from loandb.session import session_scope

    with session_scope(servers.loans_url) as session:
        if session.execute(select(Agent).where(Agent.username == AGENT)).scalars().first() is None:
            session.add(Agent(username=AGENT, display_name="浏览器坐席", password_hash=hash_password(PASSWORD)))
    port = free_port()
    env = {**os.environ, "LOAN_DB_URL": servers.loans_url, "TRACKER_DB_URL": f"sqlite:///{servers.tracker_db}",
           "RASA_URL": servers.rasa_url, "CONSOLE_SECRET_KEY": "browser-test",
           "WIDGET_SOCKET_URLS": servers.rasa_url, "BANK_LOGIN_DEMO": "1"}
    log = open(tmp_path_factory.mktemp("console") / "console.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "uvicorn"), "--factory", "console.app:create_app",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/agent/login", process, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    # Per module: Playwright's sync API keeps an event loop running on this thread, which
    # the async tests of other modules must not find.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: bin/setup-system installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


