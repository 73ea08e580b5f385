"""WeChat's server API (access token, customer-service and template messages), as the WeChat
channel, the console and the reminders all use it: one base URL, one access token.

wechatpy's client is synchronous: callers on an event loop run it in a thread."""

from wechatpy import WeChatClient
from wechatpy.session.memorystorage import MemoryStorage

from settings import Settings, current

# WeChat's own API, unless WECHAT_API_BASE_URL points elsewhere (the tests' fake): one spelling.
DEFAULT_API_BASE: str = Settings.__fields__["wechat_api_base_url"].default


class ConfiguredWeChatClient(WeChatClient):
    """wechatpy's client with the API's base URL configurable (tests use a local fake)."""

    def __init__(self, appid: str, secret: str, api_base_url: str, session=None) -> None:
        super().__init__(appid, secret, session=session or MemoryStorage(), timeout=5)
        self.API_BASE_URL = api_base_url.rstrip("/") + "/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def token_storage(redis_url: str | None):
    """Where the access token is kept: in Redis when several processes use the account, so
    that one fetching a new token does not end the others' (WeChat keeps only the newest)."""
    if not redis_url:
        return None
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis.Redis.from_url(redis_url), prefix="wechat")


def client_from_settings() -> ConfiguredWeChatClient | None:
    """The Official Account's client as configured; None when it is not configured."""
    settings = current()
    if not settings.wechat_app_id or not settings.wechat_app_secret:
        return None
    return ConfiguredWeChatClient(
        settings.wechat_app_id,
        settings.wechat_app_secret,
        settings.wechat_api_base_url,
        session=token_storage(settings.wechat_redis_url),
    )
