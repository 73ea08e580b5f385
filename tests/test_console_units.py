from console.passwords import hash_password, verify_password
from console.throttle import FREE_FAILURES, LoginThrottle
from actions.masking import mask_numbers, mask_tail


def test_password_hash_is_salted_and_verifies():
    first, second = hash_password("s3cret!"), hash_password("s3cret!")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret!", first) and not verify_password("wrong", first)
    assert not verify_password("s3cret!", "plain-text")


def test_failed_logins_are_slowed_down():
    throttle = LoginThrottle()
    for _ in range(FREE_FAILURES):
        assert throttle.delay("user:a", "ip:1") == 0
        throttle.failed("user:a", "ip:1")
    assert throttle.delay("user:a") == 1.0
    throttle.failed("user:a")
    assert throttle.delay("user:a") == 2.0
    assert throttle.delay("ip:1") == 1.0  # the address is slowed too, whatever the name
    throttle.succeeded("user:a", "ip:1")
    assert throttle.delay("user:a", "ip:1") == 0


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
