"""A PostgreSQL cluster and a Redis server of the tests' own, on free ports.

The fault tests stop and start them. Doing that to the machine's shared PostgreSQL and
Redis would cut off whatever else is using them (other engineers' runs, the rest of the
suite's open connections); these are the same Debian binaries, really stopped and started.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List

import psycopg2
import redis

from launcher import free_port


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {name} is not installed (Debian: postgresql)")
    return found[-1]


class PrivatePostgres:
    """A throwaway cluster; superuser ``root`` with trust auth, like the machine's."""

    def __init__(self) -> None:
        self.port = free_port()
        # PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="pg-test-"))
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.url = f"postgresql://root@127.0.0.1:{self.port}/postgres"
        self._run([_postgres_bin("initdb"), "-D", str(self.data), "-U", "root", "-A", "trust", "-E", "UTF8",
                   "--no-sync"])

    def _run(self, command: List[str]) -> None:
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run([_postgres_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                   "-w", "start"])

    def stop(self) -> None:
        """As an operator's fast restart does: open connections are cut."""
        self._run([_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    @property
    def running(self) -> bool:
        try:
            psycopg2.connect(self.url, connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def remove(self) -> None:
        if self.running:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="redis-test-"))
        self.process = None

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db, socket_timeout=2)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        log = open(self.dir / "log", "a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 10
        while not self.running:
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        """``redis-cli shutdown nosave``, as the operator would."""
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)
        if self.process is not None:
            self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def remove(self) -> None:
        if self.running:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
