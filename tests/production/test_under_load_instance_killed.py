"""A Rasa instance killed under load: the other serves the same conversations on, and every
customer message is in the tracker store exactly once, in order. The load is the load
test's own customers (benchmarks/load_test.py), fewer and for less time."""
import asyncio
import time

import pytest

from overdue.clock import today_in_china
from benchmarks.load_test import check_against_tracker, load_identities, run_customers, summary
from loandb.seed import add_random_customers
from loandb.session import session_scope

pytestmark = pytest.mark.production


def test_an_instance_killed_under_load_loses_nothing(production):
    killed_at = []
    # A bank customer of their own for each simulated one, so their one-time codes never cross.
    identities = load_identities(production.database_url)
    if len(identities) < 30:
        with session_scope(production.database_url) as session:
            add_random_customers(session, 40, today_in_china())
        identities = load_identities(production.database_url)

    async def load_with_a_crash():
        load = asyncio.create_task(run_customers(production.rasa_url, customers=30, duration_s=25,
                                                 identities=identities[:30], outbox=production.outbox.path,
                                                 think_s=0.5))
        await asyncio.sleep(8)
        await asyncio.to_thread(production.setup.rasa_instances[0].kill)
        killed_at.append(time.monotonic())
        return await load

    run = asyncio.run(load_with_a_crash())
    result = summary(run, check_against_tracker(run, production.database_url))

    assert not production.setup.rasa_instances[0].running
    assert result["messages_answered"] > 100, result
    unanswered = [(m.sender, m.text, m.attempts) for m in run.messages if not m.answered]
    assert result["errors"] == 0, (unanswered, result["failed_attempts"])
    assert result["lost"] == result["duplicated"] == result["conversations_out_of_order"] == 0, result
    assert result["apologies"] == 0, result
    # The conversations went on, on the other instance.
    after_the_crash = [m for m in run.messages if m.answered and m.answered_at > killed_at[0]]
    assert len({m.sender for m in after_the_crash}) >= 20, result
