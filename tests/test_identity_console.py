"""The console's identity locks: shown with the failed-check counts, lifted by a signed-in
agent after a call (confirmed, with the form token), and every lift audited."""
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from overdue.clock import now_in_china
from console.app import create_app
from overdue.passwords import hash_password
from gateways.rasa_http import RasaAPI
from loandb.models import Agent, AuditEntry, Customer, IdentityLock
from loandb.session import session_scope
from tests.conftest import forget_identity_failures

AGENT, PASSWORD = "lock-agent", "lock agent password"


@pytest.fixture
def console(sqlite_loans):
    forget_identity_failures(sqlite_loans)
    app = create_app(RasaAPI("http://127.0.0.1:9"), secret_key="test-secret")
    with session_scope() as session:
        if session.execute(select(Agent).where(Agent.username == AGENT)).scalars().first() is None:
            session.add(Agent(username=AGENT, display_name="锁定测试坐席", password_hash=hash_password(PASSWORD)))
    yield TestClient(app, base_url="http://127.0.0.1")
    forget_identity_failures(sqlite_loans)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def log_in(client: TestClient) -> None:
    token = csrf_of(client.get("/agent/login").text)
    response = client.post("/agent/login", data={"username": AGENT, "password": PASSWORD, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303


def lock_zhang_wei() -> int:
    now = now_in_china()
    with session_scope() as session:
        zhang = session.execute(select(Customer).where(Customer.id_last4 == "3021")).scalar_one()
        lock = IdentityLock(customer_id=zhang.id, locked_at=now, locked_until=now + timedelta(hours=24), failures=5)
        session.add(lock)
        session.flush()
        return lock.id


def test_locks_need_a_signed_in_agent(console):
    assert console.get("/agent/identity-locks", follow_redirects=False).status_code == 303


def test_an_agent_lifts_a_lock_after_a_call_and_it_is_audited(console):
    lock_id = lock_zhang_wei()
    log_in(console)
    page = console.get("/agent/identity-locks").text
    assert "张伟" in page and "*******8866" in page and "13800138866" not in page
    token = csrf_of(page)
    assert console.post(f"/agent/identity-locks/{lock_id}/lift", data={"confirm": "yes"}).status_code == 403
    unconfirmed = console.post(f"/agent/identity-locks/{lock_id}/lift", data={"csrf": token})
    assert unconfirmed.status_code == 400 and "电话核实" in unconfirmed.text
    with session_scope() as session:
        assert session.get(IdentityLock, lock_id).lifted_at is None
    lifted = console.post(f"/agent/identity-locks/{lock_id}/lift", data={"csrf": token, "confirm": "yes"})
    assert lifted.status_code == 200 and "已解除" in lifted.text and "目前没有被锁定的客户" in lifted.text
    with session_scope() as session:
        lock = session.get(IdentityLock, lock_id)
        agent_id = session.execute(select(Agent.id).where(Agent.username == AGENT)).scalar_one()
        assert lock.lifted_at is not None and lock.lifted_by == agent_id
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "lift_identity_lock")).scalars().all()
        assert [(a.agent_id, a.customer_id) for a in audit][-1] == (agent_id, lock.customer_id)
    again = console.post(f"/agent/identity-locks/{lock_id}/lift", data={"csrf": token, "confirm": "yes"})
    assert again.status_code == 404


def test_a_spike_of_failed_checks_shows_on_the_dashboard(console):
    from overdue.bank_rules import load_bank_rules
    from loandb import identity_store

    log_in(console)
    calm = console.get("/agent/dashboard").text
    assert 'id="identity-failures"' in calm and "异常增多" not in calm
    rules = load_bank_rules().identity
    now = now_in_china()
    with session_scope() as session:
        for n in range(rules.alert_failures_per_hour):  # one guess each from many conversations
            identity_store.record_failure(session, "digits", [], [f"conversation:guess-{n}"], now, rules)
    page = console.get("/agent/dashboard").text
    assert "异常增多" in page
    assert re.search(r"近 1 小时 <b>(\d+)</b>", page).group(1) == str(rules.alert_failures_per_hour)
