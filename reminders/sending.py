"""How a reminder leaves the bank: into the customer's conversation through Rasa's HTTP
API (``trigger_intent``, gateways/rasa_http.py), and to a WeChat customer as a template message.

Both are synchronous HTTP clients: the scheduler is a plain process of its own.
"""

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml

from gateways import SendFailed
from gateways.wechat_api import DEFAULT_API_BASE, ConfiguredWeChatClient, token_storage
from overdue.bank_rules import BankRules
from overdue.reminder_figures import ReminderFigures
from settings import current

logger = logging.getLogger(__name__)

DOMAIN_PATH = Path(__file__).resolve().parent.parent / "domain.yml"


@lru_cache(maxsize=1)
def _responses() -> dict[str, Any]:
    with open(DOMAIN_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["responses"]


def wording(response: str, **values: Any) -> str:
    """A domain response's text with the values filled in: the customer's words live there."""
    return _responses()[response][0]["text"].format(**values)


def template_data(figures: ReminderFigures, policy: BankRules) -> dict[str, dict[str, str]]:
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

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        template_id: str,
        api_base_url: str = DEFAULT_API_BASE,
        redis_url: str | None = None,
    ) -> None:
        # The access token the channel uses too (in Redis): fetching a new one here would end
        # theirs.
        self.client = ConfiguredWeChatClient(
            app_id, app_secret, api_base_url, session=token_storage(redis_url)
        )
        self.template_id = template_id

    @classmethod
    def from_env(cls) -> Optional["WeChatTemplates"]:
        """None when the Official Account or its reminder template is not configured."""
        settings = current()
        if not (
            settings.wechat_app_id
            and settings.wechat_app_secret
            and settings.wechat_reminder_template_id
        ):
            return None
        return cls(
            settings.wechat_app_id,
            settings.wechat_app_secret,
            settings.wechat_reminder_template_id,
            settings.wechat_api_base_url,
            settings.wechat_redis_url or None,
        )

    def send(self, openid: str, data: dict[str, dict[str, str]]) -> None:
        from wechatpy.exceptions import WeChatClientException

        try:
            self.client.message.send_template(openid, self.template_id, data)
        except (
            WeChatClientException
        ) as error:  # 43004 not following the account, 40037 bad template ...
            raise SendFailed(f"wechat_{error.errcode}") from error
        except Exception as error:  # network
            raise SendFailed("wechat_unavailable") from error
