"""The production profile on one machine: several Rasa instances and two action servers
behind nginx, conversations and loans on PostgreSQL, Rasa's ``RedisLockStore`` on Redis,
and the agent console pointed at the balancer.

    python -m launcher.production      # what bin/run-production runs; Ctrl-C stops it all

Tests and the load test start the same set-up on free ports with ``production_servers``.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import make_url

from launcher import ROOT, free_port, latest_model, wait_until_up, wechat_env
from launcher.nginx import NGINX, write_nginx_conf
from settings import current
from sms import check_production_backend

ENDPOINTS = ROOT / "endpoints.production.yml"


@dataclass
class Ports:
    """Where everything listens. Customers use ``rasa`` (nginx: their channels only), the
    console and the reminders ``api`` (nginx on loopback: Rasa's HTTP API)."""

    rasa: int
    actions: int
    console: int
    rasa_instances: list[int]
    action_servers: list[int]
    api: int = 8005

    @classmethod
    def fixed(cls, rasa_instances: int = 2, action_servers: int = 2) -> "Ports":
        """bin/run-production's ports (see the README's table)."""
        return cls(
            8000,
            8055,
            8080,
            [5005 + i for i in range(rasa_instances)],
            [5055 + i for i in range(action_servers)],
            8005,
        )

    @classmethod
    def free(cls, rasa_instances: int = 2, action_servers: int = 2) -> "Ports":
        return cls(
            free_port(),
            free_port(),
            free_port(),
            [free_port() for _ in range(rasa_instances)],
            [free_port() for _ in range(action_servers)],
            free_port(),
        )


@dataclass
class ProductionSettings:
    database_url: str  # PostgreSQL, with the schema in its search_path: conversations and loans
    redis_url: str  # redis://[:password@]host:port/db: locks, WeChat retries, web chat fan-out
    redis_prefix: str  # the lock store's key prefix (letters and digits only, Rasa's rule)
    ports: Ports
    work_dir: Path
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Rasa sends it to the action servers, which refuse any call without it (action_server/).
    action_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Signs web chat session ids: every instance must accept the others' (channels/web_sessions.py).
    webchat_secret: str = field(
        default_factory=lambda: current().webchat_session_secret or secrets.token_urlsafe(32)
    )
    # Browser pages allowed to call the Rasa instances (the web chat's page).
    cors_origins: list[str] = field(default_factory=list)
    model: Path | None = None
    console: bool = True
    # A ticket of a killed instance blocks its conversation this long; a turn must end within it.
    lock_lifetime_s: int = 30
    action_timeout_s: int = 20
    listen_host: str = "127.0.0.1"
    extra_env: dict[str, str] = field(default_factory=dict)


def database_url_in_schema(base_url: str, schema: str) -> str:
    """The URL whose connections use ``schema``; a dead server is reported within 5 s."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}&connect_timeout=5"


def ensure_schema(base_url: str, schema: str) -> None:
    import psycopg2

    connection = psycopg2.connect(base_url, connect_timeout=5)
    connection.autocommit = True
    try:
        connection.cursor().execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        connection.close()


class Service:
    """One process of the set-up, which can be killed and started again on its port."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        health_url: str | None,
        log_path: Path,
        startup_timeout: float,
    ) -> None:
        self.name, self.command, self.env = name, command, env
        self.health_url, self.log_path, self.startup_timeout = health_url, log_path, startup_timeout
        self.process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        # A session of its own: Ctrl-C reaches the launcher only, which stops the processes in
        # order.
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_up(self) -> None:
        if self.health_url:  # a background job (the scheduler) has no page to ask
            wait_until_up(self.health_url, self.process, self.startup_timeout)

    def kill(self) -> None:
        """As a crash would: no clean-up."""
        if self.running:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class ProductionSetup:
    """The set-up's processes and the URLs to reach them."""

    def __init__(self, settings: ProductionSettings) -> None:
        self.settings = settings
        ports = settings.ports
        self.rasa_url = f"http://127.0.0.1:{ports.rasa}"
        self.api_url = f"http://127.0.0.1:{ports.api}"  # Rasa's HTTP API, loopback only
        self.console_url = f"http://127.0.0.1:{ports.console}" if settings.console else None
        self.instance_urls = [f"http://127.0.0.1:{port}" for port in ports.rasa_instances]
        self.env = production_env(settings)
        check_production_backend(self.env)  # no one-time codes into a local file in production
        logs = settings.work_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        rasa_bin = str(Path(sys.executable).parent / "rasa")
        model = str(settings.model or latest_model())
        token = settings.api_token
        self.action_servers = [
            Service(
                f"actions-{i + 1}",
                [
                    sys.executable,
                    "-m",
                    "action_server",
                    "--port",
                    str(port),
                    "--actions",
                    "actions",
                ],
                self.env,
                f"http://127.0.0.1:{port}/health",
                logs / f"actions-{i + 1}.log",
                120,
            )
            for i, port in enumerate(ports.action_servers)
        ]
        # "--auth-token=..." in one word: a random token may begin with "-".
        self.rasa_instances = [
            Service(
                f"rasa-{i + 1}",
                [
                    rasa_bin,
                    "run",
                    "--enable-api",
                    f"--auth-token={token}",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--model",
                    model,
                    "--endpoints",
                    str(ENDPOINTS),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                    "--cors",
                    *(settings.cors_origins or console_origins(ports.console)),
                ],
                self.env,
                f"http://127.0.0.1:{port}/status?token={token}",
                logs / f"rasa-{i + 1}.log",
                300,
            )
            for i, port in enumerate(ports.rasa_instances)
        ]
        nginx_conf = write_nginx_conf(
            settings.work_dir,
            rasa_port=ports.rasa,
            actions_port=ports.actions,
            rasa_ports=ports.rasa_instances,
            action_ports=ports.action_servers,
            listen_host=settings.listen_host,
            action_timeout_s=settings.action_timeout_s,
            api_port=ports.api,
        )
        self.nginx = Service(
            "nginx",
            [NGINX, "-e", "stderr", "-p", str(settings.work_dir), "-c", str(nginx_conf)],
            self.env,
            f"{self.rasa_url}/",
            logs / "nginx.log",
            300,
        )
        self.console = None
        if settings.console:
            self.console = Service(
                "console",
                [
                    str(Path(sys.executable).parent / "uvicorn"),
                    "--factory",
                    "console.app:create_app",
                    "--host",
                    settings.listen_host,
                    "--port",
                    str(ports.console),
                    "--no-access-log",
                ],
                {**self.env, "RASA_URL": self.api_url},
                f"{self.console_url}/agent/login",
                logs / "console.log",
                60,
            )

    @property
    def services(self) -> list[Service]:
        return [
            *self.action_servers,
            *self.rasa_instances,
            self.nginx,
            *([self.console] if self.console else []),
        ]

    def start(self) -> None:
        """Starts whatever is not running (all of it at first), and waits until all answer."""
        for service in self.services:
            if not service.running:
                service.start()
        for service in self.services:
            service.wait_up()

    def stop(self) -> None:
        # The balancer first, so no new request reaches a server that is going away.
        for service in [
            self.nginx,
            *self.rasa_instances,
            *([self.console] if self.console else []),
            *self.action_servers,
        ]:
            service.stop()


def console_origins(port: int) -> list[str]:
    """The bank page's origins when no CORS_ORIGINS is given: the console on this machine."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


def redis_parts(redis_url: str) -> dict[str, str]:
    parts = urlsplit(redis_url)
    return {
        "REDIS_HOST": parts.hostname or "127.0.0.1",
        "REDIS_PORT": str(parts.port or 6379),
        "REDIS_DB": (parts.path or "/0").strip("/") or "0",
        "REDIS_PASSWORD": parts.password or "",
    }


def production_env(settings: ProductionSettings) -> dict[str, str]:
    """What every process of the set-up gets; endpoints.production.yml reads its ${...} here."""
    environment = current()
    return {
        **os.environ,
        **wechat_env(),
        "LOAN_DB_URL": settings.database_url,
        "TRACKER_DB_URL": settings.database_url,
        "RASA_API_TOKEN": settings.api_token,
        "ACTION_SERVER_TOKEN": settings.action_token,
        "WEBCHAT_SESSION_SECRET": settings.webchat_secret,
        "BANK_LOGIN_DEMO": "",  # never an open token mint here: the bank's login server mints them
        # Rasa's HTTP API for the console and the reminders: nginx's loopback-only listener.
        "RASA_URL": f"http://127.0.0.1:{settings.ports.api}",
        # The bank's page (served by the console) connects its web chat to the edge.
        "WIDGET_SOCKET_URLS": environment.widget_socket_urls
        or f"http://127.0.0.1:{settings.ports.rasa}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{settings.ports.actions}/webhook",
        **redis_parts(settings.redis_url),
        "REDIS_KEY_PREFIX": settings.redis_prefix,
        "TICKET_LOCK_LIFETIME": str(settings.lock_lifetime_s),
        # Several instances: WeChat's retries and options, and web chat messages sent by
        # another instance (an agent's reply), go through Redis.
        "WECHAT_REDIS_URL": environment.wechat_redis_url or settings.redis_url,
        "SOCKETIO_REDIS_URL": settings.redis_url,
        **settings.extra_env,
    }


@contextmanager
def production_servers(settings: ProductionSettings) -> Iterator[ProductionSetup]:
    """The whole set-up, started and stopped again; logs under ``settings.work_dir / 'logs'``."""
    setup = ProductionSetup(settings)
    try:
        setup.start()
        yield setup
    finally:
        setup.stop()


def settings_from_env(work_dir: Path) -> ProductionSettings:
    """bin/run-production's settings (the README's "Production profile" lists them)."""
    environment = current()
    schema = environment.production_db_schema
    base_url = environment.production_db_url
    ensure_schema(base_url, schema)
    return ProductionSettings(
        database_url=database_url_in_schema(base_url, schema),
        redis_url=environment.production_redis_url,
        redis_prefix=environment.production_redis_prefix,
        ports=Ports.fixed(environment.rasa_instances, environment.action_servers),
        work_dir=work_dir,
        api_token=environment.rasa_api_token or secrets.token_urlsafe(24),
        action_token=environment.action_server_token or secrets.token_urlsafe(24),
        cors_origins=environment.cors_origin_list,
        lock_lifetime_s=environment.ticket_lock_lifetime,
        listen_host=environment.production_listen,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the production profile on this machine.")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "production")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from_env(args.work_dir.resolve())
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"==> loan database and conversations: {shown}")
    subprocess.run(
        [sys.executable, "-m", "loandb.seed", "--if-missing"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "LOAN_DB_URL": settings.database_url},
    )
    # Ctrl-C or a TERM (also when started in the background, where SIGINT is ignored) stops it all.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    setup = ProductionSetup(settings)
    print(
        f"==> starting {len(setup.rasa_instances)} Rasa instances and"
        f" {len(setup.action_servers)} action servers behind nginx (about a minute);"
        f" logs in {args.work_dir / 'logs'}"
    )
    # Reminders and the retention rules (policy.yml), as bin/run runs them; not part of
    # ProductionSetup, whose tests must not see reminders arrive in their conversations.
    scheduler = Service(
        "scheduler",
        [sys.executable, "-m", "reminders.scheduler"],
        {**setup.env, "RASA_URL": setup.api_url},
        None,
        args.work_dir / "logs" / "scheduler.log",
        0,
    )
    try:
        setup.start()
        scheduler.start()
        print_urls(setup)
        while True:
            time.sleep(5)
            # Like a supervisor: the others serve on while a crashed process starts again.
            for service in [*setup.services, scheduler]:
                if not service.running:
                    print(
                        f"==> {service.name} exited with {service.process.returncode},"
                        f" starting it again (log: {service.log_path})"
                    )
                    service.start()
    except KeyboardInterrupt:
        pass
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(
                signum, signal.SIG_IGN
            )  # a second Ctrl-C must not cut the clean stop short
        print("==> stopping")
        scheduler.stop()
        setup.stop()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def print_urls(setup: ProductionSetup) -> None:
    ports = setup.settings.ports
    action_servers = ", ".join(f"http://127.0.0.1:{port}" for port in ports.action_servers)
    print(
        f"""==> ready (Ctrl-C stops everything)
    REST channel       {setup.rasa_url}/webhooks/rest/webhook
    WeChat webhook     {setup.rasa_url}/webhooks/wechat/webhook
    web chat page      {setup.console_url}/ (its socket: {setup.rasa_url})
    agent console      {setup.console_url}/agent/
    reminders          the scheduler (log: {setup.settings.work_dir / "logs" / "scheduler.log"})
    Rasa instances     {", ".join(setup.instance_urls)}
    action servers     {action_servers} (nginx: {ports.actions})""",
        flush=True,
    )


if __name__ == "__main__":
    main()
