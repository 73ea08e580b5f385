"""Runs the reminders: every few minutes as part of the service, or once by hand.

    python -m reminders.scheduler           # every run_every_minutes (policy.yml)
    python -m reminders.scheduler --once    # one run, now
    python -m reminders.scheduler --once --now 2026-12-01T10:00
                                            # one run as of a China-time moment

Each run withdraws web reminders left unopened too long, decides who is due which
reminder (``overdue.reminder_rules``), records every skip with its reason, and sends the rest:
WeChat customers get a template message, web chat customers find the reminder when they
next open the chat, REST customers in their conversation. Every reminder also enters
the customer's conversation as an EXTERNAL intent, so a reply is read in its context.
Every ``retention.run_every_hours`` (policy.yml) a pass also applies the retention rules
(``loandb.retention``).
"""

import argparse
import logging
import time
from collections import Counter
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from gateways import SendFailed
from gateways.rasa_http import RasaConversations
from loandb import reminder_store as store
from loandb import retention
from loandb.migrate import upgrade
from loandb.session import session_scope
from loandb.snapshots import reminder_figures
from overdue.bank_rules import BankRules, load_bank_rules
from overdue.clock import CHINA, now_in_china
from overdue.reminder_rules import (
    CUSTOMER_CHATTING,
    EXTERNAL_INTENTS,
    Decision,
    conversation_busy,
    decide,
)
from reminders.sending import WeChatTemplates, template_data

logger = logging.getLogger(__name__)


def send(
    decision: Decision,
    now: datetime,
    policy: BankRules,
    rasa: RasaConversations,
    wechat: WeChatTemplates | None,
) -> str:
    """Sends one reminder; returns its outcome as the reminder log records it."""
    contact = decision.contact
    occasion = decision.occasion
    if contact.channel != "socketio":
        # Web reminders wait for the customer to open the chat; elsewhere the bot writes now.
        try:
            last_event_at, paused = rasa.state(contact.conversation_id)
        except SendFailed:
            last_event_at, paused = None, False  # the trigger below fails and says so
        if conversation_busy(last_event_at, paused, now, policy):
            with session_scope() as session:
                store.record_skips(
                    session,
                    [Decision(decision.customer_id, occasion, contact, CUSTOMER_CHATTING)],
                    now,
                )
            return CUSTOMER_CHATTING
    try:
        with session_scope() as session:
            reminder_id = store.claim(session, decision, now)
    except IntegrityError:
        return "taken"  # another scheduler is sending this one

    try:
        if contact.channel == "socketio":
            with session_scope() as session:
                store.finish(session, reminder_id, "waiting")
                store.supersede_waiting(session, contact.conversation_id, reminder_id, now)
            return "waiting"
        if contact.channel == "wechat" and wechat is None:
            raise SendFailed("wechat_not_configured")
        with session_scope() as session:
            figures = reminder_figures(
                session, occasion.loan_id, occasion.due_date, now.date(), policy
            )
        if figures is None:
            with session_scope() as session:
                store.finish(session, reminder_id, "skipped", "paid")
            return "paid"
        # Into the conversation first: a customer who answers the template at once must find
        # the reminder there, or their "好的明天还" would be read without it.
        rasa.trigger(
            contact.conversation_id, EXTERNAL_INTENTS[occasion.kind], {"reminder_id": reminder_id}
        )
        if contact.channel == "wechat":
            wechat.send(contact.conversation_id, template_data(figures, policy))
    except SendFailed as failed:
        logger.warning(
            "reminder %s to customer %s failed: %s",
            reminder_id,
            decision.customer_id,
            failed.reason,
        )
        with session_scope() as session:
            store.finish(session, reminder_id, "failed", failed.reason)
        return "failed"
    with session_scope() as session:
        store.finish(session, reminder_id, "sent", now=now)
    return "sent"


def run_once(
    now: datetime,
    policy: BankRules | None = None,
    rasa: RasaConversations | None = None,
    wechat: WeChatTemplates | None = None,
) -> Counter:
    """One pass at ``now`` (China time): outcomes counted, skips by their reason."""
    policy = policy or load_bank_rules()
    rasa = rasa or RasaConversations()
    now = now.astimezone(CHINA)
    with session_scope() as session:
        store.expire_waiting(session, now.date(), policy)
        decisions: list[Decision] = [
            decision
            for facts in store.customer_facts(session, now.date(), policy)
            for decision in decide(facts, now, policy)
        ]
        store.record_skips(session, decisions, now)
    outcomes = Counter(decision.reason for decision in decisions if not decision.send)
    for decision in decisions:
        if decision.send:
            outcomes[send(decision, now, policy, rasa, wechat)] += 1
    return outcomes


def parse_now(text: str) -> datetime:
    """'2026-12-01T10:00' is China time; an explicit offset is honoured."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", action="store_true", help="run once and exit")
    parser.add_argument(
        "--now", type=parse_now, help="the moment to run as (China time), with --once"
    )
    args = parser.parse_args(argv)
    if args.now and not args.once:
        parser.error("--now needs --once")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    policy = load_bank_rules()
    upgrade()
    wechat = WeChatTemplates.from_env()
    if wechat is None:
        logger.warning(
            "WECHAT_APP_ID, WECHAT_APP_SECRET or WECHAT_REMINDER_TEMPLATE_ID is not set: "
            "WeChat reminders are recorded as failed"
        )
    rasa = RasaConversations()
    while True:
        if not rasa.available():
            # Started with the servers: wait for Rasa rather than spend send attempts on it.
            if args.once:
                raise SystemExit(f"the Rasa server at {rasa.base_url} is not answering")
            logger.info("waiting for the Rasa server at %s", rasa.base_url)
            time.sleep(30)
            continue
        now = args.now or now_in_china()
        try:
            outcomes = run_once(now, policy, rasa, wechat)
            print(
                f"==> reminders at {now:%Y-%m-%d %H:%M}: "
                + (
                    ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
                    or "none due"
                ),
                flush=True,
            )
        except Exception:
            if args.once:
                raise
            logger.exception("the reminder run failed; trying again at the next one")
        try:
            # The same process keeps personal data within its periods (every run_every_hours).
            removed = retention.run_if_due(now)
            if removed is not None:
                print(
                    "==> retention: "
                    + (
                        ", ".join(
                            f"{name} {count}" for name, count in sorted(removed.items()) if count
                        )
                        or "nothing past its period"
                    ),
                    flush=True,
                )
        except Exception:
            logger.exception("the retention run failed; trying again at the next one")
        if args.once:
            return
        time.sleep(policy.reminders.run_every_minutes * 60)


if __name__ == "__main__":
    main()
