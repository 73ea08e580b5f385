"""Customer satisfaction (满意度): asked once at the end of a conversation, read from the
buttons or from typed words, kept in the loan database, and shown on the ticket and the
dashboard. Conversations run through the real Rasa and action servers; the console tests
run on SQLite and PostgreSQL."""
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from overdue.clock import now_in_china
from overdue.satisfaction_replies import nothing_to_add, rating_in
from console.app import create_app
from overdue.passwords import hash_password
from gateways.rasa_http import RasaAPI
from loandb.models import Agent, Customer, HandoffTicket, SatisfactionRating
from loandb.satisfaction import save_rating
from loandb.session import session_scope
from tests.test_agent_workspace import signed_in, workspace  # noqa: F401 (a fixture)

RATE = '/rate_satisfaction{{"satisfaction_score":"{}"}}'


@pytest.mark.parametrize("text, expected", [
    ("5", (5, "")), ("５分", (5, "")), ("打五分", (5, "")), ("我给4分", (4, "")), ("五星", (5, "")),
    ("非常满意", (5, "")), ("满意", (4, "")), ("一般", (3, "")), ("不太满意", (2, "")), ("非常不满意", (1, "")),
    ("4分，客服很耐心", (4, "客服很耐心")), ("满意，小周讲得很清楚", (4, "小周讲得很清楚")),
])
def test_a_typed_rating_is_read_with_the_words_after_it(text, expected):
    assert rating_in(text) == expected


@pytest.mark.parametrize("text", ["5号还3000", "3000", "1.5万", "5万", "罚息怎么算", "好的", "好的，那罚息怎么算",
                                  "一般怎么还款", "", "满" * 5000, "6", "0分"])
def test_other_messages_are_no_rating(text):
    assert rating_in(text) is None


@pytest.mark.parametrize("text, expected", [("没有了", True), ("不用了，谢谢", True), ("算了", True),
                                            ("客服很耐心", False), ("希望能早点接通", False)])
def test_nothing_to_add_is_told_from_words(text, expected):
    assert nothing_to_add(text) is expected


def tracker_after(stage: str, *messages):
    """A conversation whose bot answer set ``satisfaction_stage``, then the customer's messages."""
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [ActionExecuted("action_listen"), UserUttered("再见", {"name": "goodbye"}),
              ActionExecuted("utter_goodbye"), ActionExecuted("action_ask_satisfaction"),
              SlotSet("satisfaction_stage", stage), ActionExecuted("action_listen")]
    for text, intent in messages[:-1]:
        events += [UserUttered(text, {"name": intent}), ActionExecuted("utter_how_else_can_i_help"),
                   ActionExecuted("action_listen")]
    text, intent = messages[-1]
    events.append(UserUttered(text, {"name": intent}))
    return DialogueStateTracker.from_events("satisfaction-test", events)


@pytest.mark.parametrize("stage, messages, read", [
    ("asked", [("5", "inform")], True),
    ("asked", [("非常满意", "thank")], True),
    ("asked", [("罚息怎么算", "ask_penalty")], False),  # ignored: simply answered
    ("asked", [("好的", "affirm"), ("5", "inform")], False),  # no longer right after the question
    ("asked", [(RATE.format(5), "rate_satisfaction")], False),  # a button: its rule reads it
    ("rated", [("客服很耐心", "thank")], True),
    ("rated", [("没有了", "deny")], True),
    ("rated", [("等了好久才有人回", "greet")], True),  # free words, whatever the classifier thought
    ("rated", [("我现在欠多少钱", "ask_overdue_status")], False),  # a request is answered
    ("done", [("5", "inform")], False),
])
def test_the_policy_reads_only_the_reply_right_after_the_question(stage, messages, read):
    from dialogue.satisfaction_policy import reads_satisfaction

    assert reads_satisfaction(tracker_after(stage, *messages)) is read


# --- through the real servers -----------------------------------------------------

def ratings_of(servers, sender: str) -> list:
    with session_scope(servers.loans_url) as session:
        return [(r.score, r.comment, r.channel, r.customer_id, r.ticket_id) for r in session.execute(
            select(SatisfactionRating).where(SatisfactionRating.conversation_id == f"rest:{sender}")
            .order_by(SatisfactionRating.id)).scalars()]


def customer_id_of(servers, name: str) -> int:
    with session_scope(servers.loans_url) as session:
        return session.execute(select(Customer.id).where(Customer.name == name)).scalar_one()


@pytest.mark.server
def test_a_goodbye_asks_for_a_rating_with_five_buttons_and_keeps_it_and_the_words(servers):
    sender = f"rate-{uuid.uuid4().hex[:8]}"
    servers.say(sender, "我现在欠多少钱")
    assert "12,000.00" in servers.verify(sender, "张伟")
    replies = servers.say(sender, "好的，再见")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "再见" in text and "满意吗" in text
    [asked] = [r for r in replies if r.get("buttons")]
    assert [b["payload"] for b in asked["buttons"]] == [RATE.format(n) for n in range(1, 6)]
    assert asked["buttons"][4]["title"] == "5分 非常满意"
    assert "谢谢您的评分" in servers.texts(sender, asked["buttons"][3]["payload"])
    assert ratings_of(servers, sender) == [(4, "", "rest", customer_id_of(servers, "张伟"), None)]
    assert "感谢您的宝贵意见" in servers.texts(sender, "小邮回答得很清楚，就是我手机13800138866收不到短信")
    # The words are kept, numbers masked as everywhere else (overdue/masking.py).
    [(score, words, *_)] = ratings_of(servers, sender)
    assert score == 4 and words.startswith("小邮回答得很清楚") and "手机*******8866收不到短信" in words
    assert "13800138866" not in words
    # Asked once: another goodbye is only a goodbye.
    again = servers.say(sender, "再见")
    assert not any(r.get("buttons") for r in again) and "满意吗" not in "".join(r.get("text", "") for r in again)


@pytest.mark.server
def test_a_typed_rating_right_after_the_question_counts_and_nothing_more_is_fine(servers):
    sender = f"rate-{uuid.uuid4().hex[:8]}"
    assert "满意吗" in servers.texts(sender, "再见")
    assert "没能让您满意" in servers.texts(sender, "2")  # a low score: sorry, and how to reach a person
    assert "感谢您的评价" in servers.texts(sender, "没有了")
    assert ratings_of(servers, sender) == [(2, "", "rest", None, None)]  # not verified: no customer


@pytest.mark.server
def test_a_customer_who_ignores_the_question_is_simply_answered_and_not_asked_again(servers):
    sender = f"rate-{uuid.uuid4().hex[:8]}"
    assert "满意吗" in servers.texts(sender, "再见")
    answer = servers.texts(sender, "罚息怎么算")
    assert "罚息" in answer and "谢谢您的评分" not in answer
    assert servers.texts(sender, "5") and ratings_of(servers, sender) == []  # no longer right after the question
    again = servers.say(sender, "拜拜")
    assert not any(r.get("buttons") for r in again)
    assert ratings_of(servers, sender) == []


@pytest.mark.server
def test_on_wechat_the_buttons_are_numbered_options_and_the_number_is_the_score(servers):
    from tests.test_wechat import SafeModeClient

    wechat, openid = SafeModeClient(servers.rasa_url), f"o{uuid.uuid4().hex[:12]}"
    asked = wechat.say(openid, "再见")
    assert "满意吗" in asked and "回复 1：1分 很不满意" in asked and "回复 5：5分 非常满意" in asked
    assert "没能让您满意" in wechat.say(openid, "1")  # option 1: the button's payload, score 1
    assert "感谢您的宝贵意见" in wechat.say(openid, "等了好久才有人回")
    with session_scope(servers.loans_url) as session:
        [rating] = session.execute(select(SatisfactionRating).where(
            SatisfactionRating.conversation_id.contains(openid))).scalars().all()
        assert (rating.score, rating.comment, rating.channel) == (1, "等了好久才有人回", "wechat")


@pytest.mark.server
def test_a_hostile_payload_like_a_rating_is_not_taken_as_one(servers):
    sender = f"rate-{uuid.uuid4().hex[:8]}"
    servers.texts(sender, "再见")
    servers.say(sender, '/rate_satisfaction{"satisfaction_score":"9"}')  # no button sends it: ordinary text
    servers.say(sender, '/rate_satisfaction{"satisfaction_score":"5","customer_id":"1"}')
    assert ratings_of(servers, sender) == []


# --- the agent's hand-back, and the console ---------------------------------------

AGENT, PASSWORD = "rating-agent", "rating agent password"


@pytest.mark.server
def test_after_a_hand_back_the_customer_rates_the_agent_and_the_console_shows_it(servers, monkeypatch):
    monkeypatch.setenv("LOAN_DB_URL", servers.loans_url)
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{servers.tracker_db}")
    with session_scope() as session:
        if session.execute(select(Agent).where(Agent.username == AGENT)).scalars().first() is None:
            session.add(Agent(username=AGENT, display_name="评分坐席", password_hash=hash_password(PASSWORD)))
    console = TestClient(create_app(RasaAPI(servers.rasa_url), secret_key="rating-test"), base_url="http://127.0.0.1")
    token = re.search(r'name="csrf" value="([^"]+)"', console.get("/agent/login").text).group(1)
    console.post("/agent/login", data={"username": AGENT, "password": PASSWORD, "csrf": token})
    sender = f"rate-{uuid.uuid4().hex[:8]}"
    servers.say(sender, "我现在欠多少钱")
    servers.verify(sender, "张伟")
    assert "已为您转接人工客服" in servers.texts(sender, "转人工")
    with session_scope() as session:
        ticket_id = session.execute(select(HandoffTicket.id).where(
            HandoffTicket.conversation_id == f"rest:{sender}")).scalar_one()
    page = console.get(f"/agent/tickets/{ticket_id}").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    console.post(f"/agent/tickets/{ticket_id}/claim", data={"csrf": token})
    console.post(f"/agent/tickets/{ticket_id}/resolve", data={"csrf": token})
    assert "感谢您的宝贵意见" in servers.texts(sender, "5分，客服很耐心")
    assert ratings_of(servers, sender) == [(5, "客服很耐心", "rest", customer_id_of(servers, "张伟"), ticket_id)]
    page = console.get(f"/agent/tickets/{ticket_id}").text.split('id="satisfaction"')[1]
    assert "5 分" in page and "客服很耐心" in page
    figures = console.get("/agent/api/dashboard").json()["satisfaction"]
    [mine] = [row for row in figures["per_agent"] if row["agent"] == "评分坐席"]
    assert mine["ratings"] >= 1 and mine["counts"][4] >= 1
    # The customer was asked once for this ticket: a goodbye now is only a goodbye.
    assert not any(r.get("buttons") for r in servers.say(sender, "再见"))


def test_the_ticket_and_the_dashboard_show_the_customers_ratings(workspace):  # noqa: F811
    resolved, marker = workspace["ids"]["resolved"], workspace["marker"]
    now = now_in_china()
    with session_scope(workspace["url"]) as session:
        save_rating(session, f"ws-{marker}", "wechat", 2, now, ticket_id=resolved, comment=f"等太久了{marker}")
        save_rating(session, f"ws-{marker}", "wechat", 5, now, ticket_id=resolved)
        save_rating(session, f"ws-bot-{marker}", "socketio", 4, now)  # a conversation no person saw
    try:
        client = signed_in(workspace, "agent")
        page = client.get(f"/agent/tickets/{resolved}").text.split('id="satisfaction"')[1].split("</section>")[0]
        assert "2 分" in page and "5 分" in page and f"客户留言：等太久了{marker}" in page
        waiting = client.get(f"/agent/tickets/{workspace['ids']['waiting']}").text
        assert "客户尚未评分" in waiting.split('id="satisfaction"')[1]
        dashboard = client.get("/agent/dashboard").text.split('id="satisfaction"')[1].split("</section>")[0]
        assert re.search(rf"<td>小周{marker}</td><td>2</td>\s*<td>0</td><td>1</td><td>0</td><td>0</td><td>1</td>"
                         r"<td>3.5</td>", dashboard)
        figures = client.get("/agent/api/dashboard").json()
        assert len(figures["satisfaction"]["ratings"]) == len(figures["days"]) == 14
        assert figures["satisfaction"]["ratings"][-1] >= 3 and figures["satisfaction"]["mean"][-1] is not None
        assert "满意度" in client.get("/agent/dashboard").text  # beside the complaints' chart
    finally:
        with session_scope(workspace["url"]) as session:
            session.execute(delete(SatisfactionRating).where(SatisfactionRating.conversation_id.in_(
                [f"ws-{marker}", f"ws-bot-{marker}"])))
