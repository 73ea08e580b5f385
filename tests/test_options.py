"""What else each demo customer can do, in order (overdue/options.py)."""
import pytest
from sqlalchemy import select

from loandb.snapshots import customer_snapshot
from overdue.options import GENERAL, options_for
from overdue.bank_rules import load_bank_rules
from loandb.models import Customer
from loandb.session import session_scope


@pytest.fixture(scope="module")
def demo(seeded_db_url, today):
    with session_scope(seeded_db_url) as session:
        return {c.name: customer_snapshot(session, c.id, today, load_bank_rules())
                for c in session.execute(select(Customer).where(Customer.is_demo)).scalars()}


@pytest.mark.parametrize("name, expected", [
    ("张伟", ["minimum", "promise", "card_installment", "human"]),  # a card: no deferral
    ("李娜", ["promise", "negotiated_plan", "human"]),  # deferred five months ago: not again within 12
    ("王强", ["promise", "deferral", "negotiated_plan", "human"]),
])
def test_each_demo_customer_gets_the_options_that_fit(demo, today, name, expected):
    assert options_for(demo[name], today, load_bank_rules()) == expected


def test_before_the_identity_check_the_general_list(today):
    assert options_for(None, today, load_bank_rules()) == GENERAL


def test_nothing_overdue_leaves_a_person(today):
    assert options_for([], today, load_bank_rules()) == ["human"]
