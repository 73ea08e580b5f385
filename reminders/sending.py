"""How a reminder leaves the bank: into the customer's conversation through Rasa's HTTP
API (``trigger_intent``), and to a WeChat customer as a template message.

Both are synchronous HTTP clients: the scheduler is a plain process of its own.
"""
import logging
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import httpx
import yaml

from actions.clock import CHINA
from actions.policy import Policy
from channels.sender_ids import conversation_path
from reminders.figures import ReminderFigures

logger = logging.getLogger(__name__)

DOMAIN_PATH = Path(__file__).resolve().parent.parent / "domain.yml"
DEFAULT_WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"
# The reminder's EXTERNAL intent by occasion: before the due date, or after it.
EXTERNAL_INTENTS = {"due_soon": "EXTERNAL_due_soon", "overdue": "EXTERNAL_overdue_reminder",
                    "grace_last_day": "EXTERNAL_overdue_reminder"}


class SendFailed(Exception):
    """The reminder did not go out; ``reason`` is what the reminder log records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RasaConversations:
    """The parts of Rasa's HTTP API a reminder needs (``?token=`` from RASA_API_TOKEN)."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, timeout: float = 30) -> None:
        self.base_url = (base_url or os.environ.get("RASA_URL") or "http://localhost:5005").rstrip("/")
        self.token = token if token is not None else os.environ.get("RASA_API_TOKEN")
        self.timeout = timeout

    def _params(self, **params: Any) -> Dict[str, Any]:
        return {**params, **({"token": self.token} if self.token else {})}

    def available(self) -> bool:
        """The server answers with a model loaded: reminders can enter conversations."""
        try:
            return httpx.get(f"{self.base_url}/status", params=self._params(), timeout=self.timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def state(self, conversation_id: str) -> Tuple[Optional[datetime], bool]:
        """When anything last happened in the conversation, and whether a person has it."""
        try:
            response = httpx.get(self.base_url + conversation_path(conversation_id, "tracker"),
                                 params=self._params(include_events="NONE"), timeout=self.timeout)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise SendFailed("rasa_unavailable") from error
        tracker = response.json()
        latest = tracker.get("latest_event_time")
        # Reading a tracker opens a session (session-start events stamped now): a session in
        # which nobody has written yet is not a conversation in progress.
        if not ((tracker.get("latest_message") or {}).get("text") or tracker.get("latest_input_channel")):
            latest = None
        return (datetime.fromtimestamp(latest, CHINA) if latest else None), bool(tracker.get("paused"))

    def trigger(self, conversation_id: str, intent: str, entities: Dict[str, Any]) -> List[Dict[str, Any]]:
        """The reminder as an external event; what the bot said in answer (not sent anywhere)."""
        try:
            response = httpx.post(self.base_url + conversation_path(conversation_id, "trigger_intent"),
                                  params=self._params(), json={"name": intent, "entities": entities},
                                  timeout=self.timeout)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise SendFailed("rasa_unavailable") from error
        return response.json().get("messages") or []


@lru_cache(maxsize=1)
def _responses() -> Dict[str, Any]:
    with open(DOMAIN_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["responses"]


def wording(response: str, **values: Any) -> str:
    """A domain response's text with the values filled in: the customer's words live there."""
    return _responses()[response][0]["text"].format(**values)


def template_data(figures: ReminderFigures, policy: Policy) -> Dict[str, Dict[str, str]]:
    """The template message's fields. A bound openid passed the identity check when it was
    bound, and the bank's template may show the account tail, the amount and the date to
    it; nothing more personal than that goes to WeChat."""
    values = {**figures.values(), "opt_out_word": policy.reminders.opt_out_words[0]}
    return {
        "first": {"value": wording(f"utter_reminder_wechat_first_{figures.stage}", **values)},
        "keyword1": {"value": wording("utter_reminder_wechat_account", **values)},
        "keyword2": {"value": values["amount"]},
        "keyword3": {"value": values["due_date"]},
        "remark": {"value": wording("utter_reminder_wechat_remark", **values)},
    }


class WeChatTemplates:
    """WeChat's template-message API, on the same configurable client as the channel."""

    def __init__(self, app_id: str, app_secret: str, template_id: str, api_base_url: str = DEFAULT_WECHAT_API,
                 redis_url: Optional[str] = None) -> None:
        from channels.wechat_support import ConfiguredWeChatClient

        session = None
        if redis_url:
            import redis
            from wechatpy.session.redisstorage import RedisStorage

            # The access token the channel uses too: fetching a new one here would end theirs.
            session = RedisStorage(redis.Redis.from_url(redis_url), prefix="wechat")
        self.client = ConfiguredWeChatClient(app_id, app_secret, api_base_url, session=session)
        self.template_id = template_id

    @classmethod
    def from_env(cls) -> Optional["WeChatTemplates"]:
        """None when the Official Account or its reminder template is not configured."""
        app_id, secret = os.environ.get("WECHAT_APP_ID"), os.environ.get("WECHAT_APP_SECRET")
        template_id = os.environ.get("WECHAT_REMINDER_TEMPLATE_ID")
        if not (app_id and secret and template_id):
            return None
        return cls(app_id, secret, template_id, os.environ.get("WECHAT_API_BASE_URL") or DEFAULT_WECHAT_API,
                   os.environ.get("WECHAT_REDIS_URL") or None)

    def send(self, openid: str, data: Dict[str, Dict[str, str]]) -> None:
        from wechatpy.exceptions import WeChatClientException

        try:
            self.client.message.send_template(openid, self.template_id, data)
        except WeChatClientException as error:  # 43004 not following the account, 40037 bad template ...
            raise SendFailed(f"wechat_{error.errcode}") from error
        except Exception as error:  # network
            raise SendFailed("wechat_unavailable") from error
