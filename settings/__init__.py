"""Every setting read from the environment, in one typed object.

    from settings import current
    url = current().loan_db_url

Modules never read ``os.environ`` themselves: they ask ``current()``, which reads the
environment again only when one of these variables changed (tests and the launcher set
them per process), so a value is always the one in force. An empty variable counts as
unset. The README's configuration tables are generated from the fields below
(``python -m settings --readme``) and a test keeps them equal.
"""

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field, validator

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"

# Groups, in the order the README shows them.
ASSISTANT, WECHAT, SMS, PRODUCTION, DEVELOPMENT = (
    "assistant",
    "wechat",
    "sms",
    "production",
    "development",
)


def _field(default, env: str, group: str, doc: str, shown: str | None = None):
    """One setting: its variable, the README's group and line, and the default as shown there."""
    return Field(default, env=env, group=group, doc=doc, shown=shown)


class Settings(BaseSettings):
    # The assistant and its data
    loan_db_url: str = _field(
        f"sqlite:///{VAR / 'loans.db'}",
        "LOAN_DB_URL",
        ASSISTANT,
        "the loan database (e.g. `postgresql://root@127.0.0.1:5432/test`)",
        "`sqlite:///var/loans.db`",
    )
    tracker_db_url: str = _field(
        f"sqlite:///{VAR / 'tracker.db'}",
        "TRACKER_DB_URL",
        ASSISTANT,
        "where Rasa stores conversations",
        "`sqlite:///var/tracker.db`",
    )
    loan_policy_path: Path = _field(
        ROOT / "policy.yml",
        "LOAN_POLICY_PATH",
        ASSISTANT,
        "the bank's rules (figures, limits, reminders, retention)",
        "`policy.yml`",
    )
    loan_consequences_path: Path = _field(
        ROOT / "consequences.yml",
        "LOAN_CONSEQUENCES_PATH",
        ASSISTANT,
        "what the assistant says about the consequences of not paying, with sources",
        "`consequences.yml`",
    )
    bank_business_date: str = _field(
        "",
        "BANK_BUSINESS_DATE",
        ASSISTANT,
        "pins the bank's business date (ISO, e.g. `2026-12-04`) for a test run, a "
        "replay or a night batch; production leaves it unset",
        "today in China",
    )
    console_secret_key: str = _field(
        "",
        "CONSOLE_SECRET_KEY",
        ASSISTANT,
        "signs console sessions (set it, or agents are signed out on restart)",
        "random per start",
    )
    console_demo_password: str = _field(
        "",
        "CONSOLE_DEMO_PASSWORD",
        ASSISTANT,
        "the demo agent's password when the seed creates it",
        "random",
    )
    rasa_url: str = _field(
        "http://localhost:5005",
        "RASA_URL",
        ASSISTANT,
        "where the console and the reminders read and write conversations",
    )
    rasa_api_token: str = _field(
        "",
        "RASA_API_TOKEN",
        ASSISTANT,
        "guards Rasa's HTTP API (tracker events, `/model/parse`); the console and the "
        "reminders use it",
        "random per start",
    )
    action_server_token: str = _field(
        "",
        "ACTION_SERVER_TOKEN",
        ASSISTANT,
        "the secret Rasa sends the action server (`endpoints.yml`); any call without it gets 401",
        "random per start",
    )
    action_server_host: str = _field(
        "127.0.0.1",
        "ACTION_SERVER_HOST",
        ASSISTANT,
        "where the action server listens (`python -m action_server`)",
    )
    log_level: str = _field("INFO", "LOG_LEVEL", ASSISTANT, "the action server's log level")
    cors_origins: str = _field(
        "",
        "CORS_ORIGINS",
        ASSISTANT,
        "the pages (space-separated origins) whose scripts may call Rasa: the web chat's",
        "`http://localhost:8080 http://127.0.0.1:8080`",
    )
    webchat_session_secret: str = _field(
        "",
        "WEBCHAT_SESSION_SECRET",
        ASSISTANT,
        "signs web chat session ids (set it, or web chats start afresh on "
        "restart; shared by every Rasa instance)",
        "random per start",
    )
    socketio_redis_url: str = _field(
        "",
        "SOCKETIO_REDIS_URL",
        ASSISTANT,
        "Redis that carries web chat messages between Rasa instances (the "
        "production profile sets it)",
    )
    bank_login_token_secret: str = _field(
        "",
        "BANK_LOGIN_TOKEN_SECRET",
        ASSISTANT,
        "checks the bank-login tokens of signed-in customers' pages (the "
        "bank's login server signs them with it)",
        "random per start",
    )
    bank_login_demo: bool = _field(
        False,
        "BANK_LOGIN_DEMO",
        ASSISTANT,
        "lets the demo page ask the console for a demo customer's login token; "
        "never set it in production",
        "`1` under `bin/run`, empty otherwise",
    )
    widget_socket_urls: str = _field(
        "",
        "WIDGET_SOCKET_URLS",
        ASSISTANT,
        "the socket servers the bank page's web chat may use (space-separated; the first is used)",
        "`http://localhost:5005`",
    )
    console_https: bool = _field(
        False,
        "CONSOLE_HTTPS",
        ASSISTANT,
        "`1` when agents reach the console over HTTPS: the session cookie gets `Secure`",
        "empty",
    )
    console_trusted_proxies: str = _field(
        "",
        "CONSOLE_TRUSTED_PROXIES",
        ASSISTANT,
        "addresses of reverse proxies whose `X-Forwarded-For` names the "
        "agent's address (for login lockouts)",
    )
    identity_code_pepper: str = _field(
        "",
        "IDENTITY_CODE_PEPPER",
        ASSISTANT,
        "a secret mixed into every stored code hash (set it in production, the "
        "same on every action server)",
    )
    tracker_window_events: int = _field(
        120,
        "TRACKER_WINDOW_EVENTS",
        ASSISTANT,
        "how many of a conversation's latest events a turn reads (about 12 turns; the slots, the "
        "form and a person's takeover carry over from before); `0` reads the whole session",
        "`120`",
    )
    rasa_action_schema_cache: bool = _field(
        True,
        "RASA_ACTION_SCHEMA_CACHE",
        ASSISTANT,
        "`0` makes Rasa validate every action answer against its full JSON "
        "schema again (slow; for comparison in benchmarks)",
        "`1`",
    )
    rasa_fast_model_load: bool = _field(
        True,
        "RASA_FAST_MODEL_LOAD",
        ASSISTANT,
        "`0` makes Rasa load DIET its own way again, by training it one step first (about 15 s "
        "and 500 MB more; for comparison in benchmarks)",
        "`1`",
    )

    # The WeChat Official Account
    wechat_token: str = _field(
        "",
        "WECHAT_TOKEN",
        WECHAT,
        "the Official Account's token (without it the WeChat webhook refuses every request)",
    )
    wechat_app_id: str = _field("", "WECHAT_APP_ID", WECHAT, "the Official Account's AppID")
    wechat_app_secret: str = _field(
        "", "WECHAT_APP_SECRET", WECHAT, "the Official Account's AppSecret"
    )
    wechat_encoding_aes_key: str = _field(
        "",
        "WECHAT_ENCODING_AES_KEY",
        WECHAT,
        "set it for safe mode (AES); then unencrypted POSTs are refused",
    )
    wechat_api_base_url: str = _field(
        "https://api.weixin.qq.com/cgi-bin/",
        "WECHAT_API_BASE_URL",
        WECHAT,
        "WeChat's API, for slow answers, agents' replies and reminders (tests "
        "point it at a local fake)",
    )
    wechat_redis_url: str = _field(
        "",
        "WECHAT_REDIS_URL",
        WECHAT,
        "Redis for the access token, retries and numbered options when several instances run",
    )
    wechat_reply_timeout: float = _field(
        4.0,
        "WECHAT_REPLY_TIMEOUT",
        WECHAT,
        "seconds to wait for a passive reply before answering through the API",
        "`4`",
    )
    wechat_reminder_template_id: str = _field(
        "",
        "WECHAT_REMINDER_TEMPLATE_ID",
        WECHAT,
        "the approved template for reminders to WeChat customers (without "
        "it reminders reach them only inside their conversation)",
    )

    # One-time codes by SMS
    sms_backend: str = _field(
        "outbox",
        "SMS_BACKEND",
        SMS,
        "where one-time codes go: `outbox` (a local file, for development and tests) or "
        "`tencent` (Tencent Cloud SMS)",
    )
    sms_outbox_path: Path = _field(
        VAR / "sms-outbox.jsonl",
        "SMS_OUTBOX_PATH",
        SMS,
        "the outbox file: one JSON line per message (`phone`, `text`, `sent_at`); "
        "each test server writes its own",
        "`var/sms-outbox.jsonl`",
    )
    sms_outbox_test_only: bool = _field(
        False,
        "SMS_OUTBOX_TEST_ONLY",
        SMS,
        "`1` lets the production profile run on the outbox (its tests and the "
        "load test do); otherwise it refuses to start on it",
        "empty",
    )
    tencent_sms_secret_id: str = _field(
        "",
        "TENCENT_SMS_SECRET_ID",
        SMS,
        "the Tencent Cloud API key's id, for `SMS_BACKEND=tencent`",
    )
    tencent_sms_secret_key: str = _field(
        "", "TENCENT_SMS_SECRET_KEY", SMS, "the Tencent Cloud API key's secret"
    )
    tencent_sms_sdk_app_id: str = _field("", "TENCENT_SMS_SDK_APP_ID", SMS, "the SMS application")
    tencent_sms_sign_name: str = _field("", "TENCENT_SMS_SIGN_NAME", SMS, "the approved signature")
    tencent_sms_template_id: str = _field(
        "",
        "TENCENT_SMS_TEMPLATE_ID",
        SMS,
        "the code template (its parameters: the code, the minutes it is valid)",
    )
    tencent_sms_region: str = _field("ap-guangzhou", "TENCENT_SMS_REGION", SMS, "the SDK's region")
    tencent_sms_endpoint: str = _field(
        "sms.tencentcloudapi.com",
        "TENCENT_SMS_ENDPOINT",
        SMS,
        "where the SDK sends (tests point it at a local fake)",
    )
    tencent_sms_scheme: str = _field(
        "https", "TENCENT_SMS_SCHEME", SMS, "`http` only for the local fake"
    )

    # The production profile (bin/run-production)
    production_db_url: str = _field(
        "postgresql://root@127.0.0.1:5432/test",
        "PRODUCTION_DB_URL",
        PRODUCTION,
        "PostgreSQL for conversations and loans",
    )
    production_db_schema: str = _field(
        "assistant",
        "PRODUCTION_DB_SCHEMA",
        PRODUCTION,
        "the schema inside it, created when missing (both URLs get it as `search_path`)",
    )
    production_redis_url: str = _field(
        "redis://127.0.0.1:6379/1",
        "PRODUCTION_REDIS_URL",
        PRODUCTION,
        "Redis: conversation locks, WeChat retries, web chat messages between instances",
    )
    production_redis_prefix: str = _field(
        "assistant",
        "PRODUCTION_REDIS_PREFIX",
        PRODUCTION,
        "the lock store's key prefix (letters and digits)",
    )
    rasa_instances: int = _field(2, "RASA_INSTANCES", PRODUCTION, "how many Rasa instances", "`2`")
    action_servers: int = _field(2, "ACTION_SERVERS", PRODUCTION, "how many action servers", "`2`")
    ticket_lock_lifetime: int = _field(
        30,
        "TICKET_LOCK_LIFETIME",
        PRODUCTION,
        "Rasa's: seconds a crashed instance's lock can hold up its conversation; "
        "a turn must end within it",
        "`30`",
    )
    production_listen: str = _field(
        "127.0.0.1",
        "PRODUCTION_LISTEN",
        PRODUCTION,
        "where nginx and the console listen (`0.0.0.0` to serve other machines)",
    )

    # Benchmarks and tests
    load_test_db_url: str = _field(
        "postgresql://root@127.0.0.1:5432/test",
        "LOAD_TEST_DB_URL",
        DEVELOPMENT,
        "the PostgreSQL the load test runs the production profile on",
    )
    load_test_redis_url: str = _field(
        "redis://127.0.0.1:6379/2",
        "LOAD_TEST_REDIS_URL",
        DEVELOPMENT,
        "the Redis the load test uses",
    )
    test_postgres_url: str = _field(
        "postgresql://root@127.0.0.1:5432/test",
        "TEST_POSTGRES_URL",
        DEVELOPMENT,
        "the PostgreSQL the tests and the history-search benchmark use",
    )

    class Config:
        case_sensitive = True

    @validator("*", pre=True)
    def blank_is_unset(cls, value, field):
        # Shell profiles often export a variable empty: that means "use the default".
        if isinstance(value, str) and not value.strip():
            return field.default
        return value

    # Lists, as the settings are written (space-separated)
    @property
    def cors_origin_list(self) -> list[str]:
        return self.cors_origins.split()

    @property
    def widget_socket_url_list(self) -> list[str]:
        return self.widget_socket_urls.split()


ENVIRONMENT_NAMES: tuple[str, ...] = tuple(
    field.field_info.extra["env"] for field in Settings.__fields__.values()
)


def current() -> Settings:
    """The settings in force now (read again only when one of their variables changed)."""
    return _read(tuple(os.environ.get(name) for name in ENVIRONMENT_NAMES))


@lru_cache(maxsize=8)
def _read(values: tuple[str | None, ...]) -> Settings:
    # ``values`` is the cache key; BaseSettings reads the same variables itself.
    return Settings()


def readme_table(group: str) -> str:
    """The README's table of one group's variables, as generated from the fields."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for field in Settings.__fields__.values():
        extra: dict = field.field_info.extra
        if extra["group"] != group:
            continue
        default = extra["shown"] or (
            f"`{field.default}`" if field.default not in ("", None) else "empty"
        )
        lines.append(f"| `{extra['env']}` | {default} | {extra['doc']} |")
    return "\n".join(lines)


GROUPS = (ASSISTANT, WECHAT, SMS, PRODUCTION, DEVELOPMENT)
