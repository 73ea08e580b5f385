"""A long conversation through the real servers, read in a window of its latest events
(these servers read 60 events, about six turns; tests/conftest.py): the customer stays
verified, a form started before the window's start goes on, and every message is stored."""

import uuid

import pytest
import requests

pytestmark = pytest.mark.server

QUESTIONS = ["我现在欠多少钱", "罚息是多少", "会影响征信吗", "逾期几天了"]


def new_sender() -> str:
    return f"long-{uuid.uuid4().hex[:8]}"


def stored_messages(servers, sender: str) -> list[str]:
    tracker = requests.get(
        f"{servers.rasa_url}/conversations/rest:{sender}/tracker", timeout=30
    ).json()
    return [event.get("text") for event in tracker["events"] if event.get("event") == "user"]


def test_a_verified_customer_stays_verified_for_many_turns(servers):
    sender = new_sender()
    sent = ["我现在欠多少钱"]
    servers.say(sender, sent[0])
    servers.verify(sender, "张伟")
    for turn in range(16):
        question = QUESTIONS[turn % len(QUESTIONS)]
        answer = servers.texts(sender, question)
        sent.append(question)
        assert "后四位" not in answer and "短信验证码已发送" not in answer, (turn, answer)  # not asked again
        assert "元" in answer or "天" in answer or "征信" in answer, (turn, answer)
    kept = stored_messages(servers, sender)
    assert [text for text in kept if text in sent] == sent  # none lost, in order


def test_a_form_carries_on_across_the_window(servers):
    """The identity form opens on a request and is interrupted for longer than the window
    holds; the digits then still go to the form, and the request resumes after the code."""
    sender = new_sender()
    asked = servers.texts(sender, "我想申请延期还款")
    assert "身份证" in asked
    for _ in range(8):
        servers.texts(sender, "你好")
    answer = servers.verify(sender, "李娜", "452X 5521")
    # 李娜 had a deferral within 12 months: the request she opened with is answered.
    assert "12个月内已办理过延期" in answer
