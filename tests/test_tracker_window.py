"""A long conversation is read in a window of its latest events (persistence/tracker_store.py):
the state the assistant decides on is the same as from the whole session, and what is
stored is never lost, doubled or cut."""

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    ConversationPaused,
    ConversationResumed,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from persistence.tracker_store import UrlSQLTrackerStore

WINDOW = 12


@pytest.fixture
def domain():
    return Domain.load("domain.yml")


@pytest.fixture
def store(tmp_path, monkeypatch, domain):
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setenv("TRACKER_WINDOW_EVENTS", str(WINDOW))
    return UrlSQLTrackerStore(domain=domain)


def turn(text: str, intent: str, *answer) -> list:
    return [
        UserUttered(text, {"name": intent, "confidence": 0.99}),
        *answer,
        ActionExecuted("action_listen"),
    ]


def conversation(*early, turns: int = 10, last=()) -> list:
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    events += list(early)
    for number in range(turns):
        events += turn(f"罚息是多少 {number}", "ask_penalty", ActionExecuted("action_route_request"))
    return events + list(last)


async def stored(store, domain, sender: str, events: list) -> DialogueStateTracker:
    for index, event in enumerate(events):  # stamped in the order they happen, as in a session
        event.timestamp = 1_000_000 + index
    tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
    await store.save(tracker)
    return tracker


async def as_rasa_reads_it(store, sender: str) -> DialogueStateTracker:
    """The whole latest session, as Rasa's own store reads it."""
    return await SQLTrackerStore.retrieve(store, sender)


def same_state(windowed: DialogueStateTracker, whole: DialogueStateTracker) -> None:
    assert windowed.current_slot_values() == whole.current_slot_values()
    assert windowed.active_loop_name == whole.active_loop_name
    assert windowed.is_paused() == whole.is_paused()
    assert windowed.latest_message.text == whole.latest_message.text
    assert windowed.latest_action_name == whole.latest_action_name


async def test_a_long_session_is_read_in_a_window_with_its_whole_state(store, domain):
    early = [
        *turn("身份证后四位3021", "inform", SlotSet("verified", True), SlotSet("customer_id", 7)),
        SlotSet("followup_topic", "deferral_refused"),
        ActiveLoop("deferral_form"),
        SlotSet("requested_slot", "deferral_months"),
    ]
    await stored(store, domain, "long", conversation(*early, turns=30))
    whole = await as_rasa_reads_it(store, "long")
    windowed = await store.retrieve("long")
    assert len(windowed.events) < WINDOW + 8 < len(whole.events)
    same_state(windowed, whole)
    assert windowed.get_slot("customer_id") == 7 and windowed.active_loop_name == "deferral_form"
    # The window opens on a customer message, after the session's start and the state.
    kinds = [event.type_name for event in windowed.events]
    assert kinds[0] == "session_started"
    first_message = kinds.index("user")
    assert set(kinds[1:first_message]) <= {"slot", "active_loop", "pause", "resume"}
    assert len(kinds) - first_message <= WINDOW


async def test_what_a_turn_adds_is_stored_once_and_nothing_is_cut(store, domain):
    whole = await stored(store, domain, "adds", conversation(turns=20))
    windowed = await store.retrieve("adds")
    windowed.update(UserUttered("我想延期", {"name": "request_deferral", "confidence": 0.9}))
    await store.save(windowed)
    windowed.update(ActionExecuted("action_route_request"))
    await store.save(windowed)  # saved twice, as the processor may: nothing doubled
    full = await store.retrieve_full_tracker("adds")
    assert [e.as_dict() for e in full.events] == [
        *[e.as_dict() for e in whole.events],
        *[e.as_dict() for e in list(windowed.events)[-2:]],
    ]


async def test_a_person_holding_the_conversation_is_still_holding_it(store, domain):
    whole = await stored(store, domain, "paused", conversation(ConversationPaused(), turns=20))
    windowed = await store.retrieve("paused")
    assert windowed.is_paused() and whole.is_paused()
    resumed = await stored(
        store, domain, "resumed", conversation(ConversationPaused(), ConversationResumed(), turns=20)
    )
    assert not (await store.retrieve("resumed")).is_paused() and not resumed.is_paused()


@pytest.mark.parametrize("clean_slate", [Restarted(), AllSlotsReset()])
async def test_slots_from_before_a_restart_do_not_come_back(store, domain, clean_slate):
    early = [SlotSet("verified", True), SlotSet("customer_id", 7), clean_slate, SlotSet("customer_id", 9)]
    await stored(store, domain, "restarted", conversation(*early, turns=20))
    whole = await as_rasa_reads_it(store, "restarted")
    windowed = await store.retrieve("restarted")
    same_state(windowed, whole)
    assert windowed.get_slot("verified") in (None, False) and windowed.get_slot("customer_id") == 9


async def test_an_earlier_session_stays_out(store, domain):
    old = conversation(SlotSet("customer_id", 7), turns=5)
    new = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    new += turn("你好", "greet", ActionExecuted("utter_greet"))
    events = old + new
    whole = await stored(store, domain, "sessions", events)
    windowed = await store.retrieve("sessions")
    assert windowed.get_slot("customer_id") is None and whole.get_slot("customer_id") is None
    assert [e.type_name for e in windowed.events].count("session_started") == 1


async def test_a_short_session_is_read_whole(store, domain):
    await stored(store, domain, "short", conversation(turns=2))
    assert [e.as_dict() for e in (await store.retrieve("short")).events] == [
        e.as_dict() for e in (await as_rasa_reads_it(store, "short")).events
    ]


async def test_no_window_reads_the_whole_session(store, domain, monkeypatch):
    monkeypatch.setenv("TRACKER_WINDOW_EVENTS", "0")
    await stored(store, domain, "all", conversation(turns=30))
    assert len((await store.retrieve("all")).events) == len(
        (await as_rasa_reads_it(store, "all")).events
    )
