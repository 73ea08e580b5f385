from overdue.passwords import hash_password, verify_password
from console.throttle import (LOCK_MINUTES, MAX_FAILURES, forget_failures, locked_subject, login_subjects,
                              record_failure)
from overdue.masking import mask_numbers, mask_tail


def test_password_hash_is_salted_and_verifies():
    first, second = hash_password("s3cret!"), hash_password("s3cret!")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret!", first) and not verify_password("wrong", first)
    assert not verify_password("s3cret!", "plain-text")


def test_failed_logins_lock_a_name_and_an_address_out_for_15_minutes(tmp_path):
    from datetime import timedelta

    from overdue.clock import now_in_china
    from loandb.migrate import upgrade as create_schema
    from loandb.session import session_scope

    url = f"sqlite:///{tmp_path / 'console.db'}"
    create_schema(url)
    now = now_in_china()
    subjects = login_subjects("agent01", "10.0.0.9")
    with session_scope(url) as session:
        for attempt in range(1, MAX_FAILURES + 1):
            assert locked_subject(session, subjects, now) is None
            locked = record_failure(session, subjects, now)
            assert (locked is not None) == (attempt == MAX_FAILURES)
        assert locked_subject(session, subjects, now) == "user:agent01"
        # The address is locked for any other name too; a success clears only the name.
        assert locked_subject(session, login_subjects("agent02", "10.0.0.9"), now) == "ip:10.0.0.9"
        assert locked_subject(session, subjects, now + timedelta(minutes=LOCK_MINUTES, seconds=1)) is None
        forget_failures(session, "user:agent01")
        assert locked_subject(session, login_subjects("agent01", "10.0.0.1"), now) is None


def test_masking_keeps_only_the_last_four():
    assert mask_numbers("我手机13800138866，身份证110101198503153021") == (
        "我手机*******8866，身份证**************3021")
    assert mask_numbers("还3000元，尾号6217") == "还3000元，尾号6217"
    assert mask_tail("32010219900707452X") == "**************452X"


def test_transcript_masks_numbers_and_shows_relayed_agent_replies():
    from console.tickets import transcript

    events = [
        {"event": "user", "timestamp": 0, "text": "手机13800138866",
         "parse_data": {"intent": {"name": "inform", "confidence": 0.91}, "emotion": {"score": 0.1}}},
        {"event": "bot", "timestamp": 0, "text": None, "metadata": {"model_id": "m1"},
         "data": {"custom": {"data": {"text": "您好，我是客服", "metadata": {"agent": "小王"}}}}},
        {"event": "bot", "timestamp": 0, "text": "机器人的话", "metadata": {"model_id": "m1"}},
    ]
    user, relayed, bot = transcript({"events": events})
    assert (user["text"], user["intent"], user["confidence"]) == ("手机*******8866", "inform", "0.91")
    assert (relayed["text"], relayed["agent"]) == ("您好，我是客服", "小王")
    assert (bot["text"], bot["agent"]) == ("机器人的话", "")
