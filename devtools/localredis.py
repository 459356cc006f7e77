"""A throwaway redis-server on a free loopback port, for tests, benchmarks and the demo.

Nothing is persisted unless asked (`appendonly=True`: a broker's Redis, as the README
prescribes); the process is ours to stop and restart (tests simulate outages and restarts).
`point_cache_at()` makes mojo use it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from core.broker import broker_url_beside
from core.cache import redis_cache

INSTALL_HINT = (
    "redis-server not found: install it (Debian/Ubuntu: `sudo apt-get install redis-server`, "
    "macOS: `brew install redis`) or set REDIS_URL to a server you run."
)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str | None:
    """Return the path of redis-server, or None when it is not installed."""
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if Path(p).exists()),
        None,
    )


def point_cache_at(url: str) -> None:
    """Use the Redis at `url` from now on: settings, the cache, the broker, child processes.

    For code that starts its own redis-server once Django is set up (tests, benchmarks, the
    demo). The cache handlers are rebuilt, as Django's own tests do when CACHES changes, so
    no connection to an older location, or an older backend, outlives the switch.
    """
    from django.conf import settings
    from django.test.signals import clear_cache_handlers

    settings.REDIS_URL = url
    settings.CACHES = {
        "default": redis_cache(
            url,
            connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        )
    }
    clear_cache_handlers(setting="CACHES")
    os.environ["REDIS_URL"] = url  # processes started from here inherit it
    if not os.environ.get("CELERY_BROKER_URL"):  # the broker follows, beside the cache
        from celery import current_app

        broker = broker_url_beside(url)
        settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = broker
        current_app.conf.update(broker_url=broker, result_backend=broker)


class LocalRedis:
    """Start, stop and restart a private redis-server bound to 127.0.0.1.

    With `appendonly=True` it persists as the README asks of a broker's Redis: an append-only
    file (fsync every second, Redis's default for `appendonly yes`) in `directory`, kept
    across `restart()`, so the restarted server has every write the stopped one acknowledged
    (a stop is a SIGTERM: Redis flushes and fsyncs the file before it exits).
    """

    def __init__(
        self, port: int | None = None, *, appendonly: bool = False, directory: str | Path | None = None
    ) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError(INSTALL_HINT)
        self.binary = binary
        self.port = port or free_port()
        self.appendonly = appendonly
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        self.directory = str(directory) if directory is not None else tempfile.mkdtemp(prefix="mojo-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> LocalRedis:
        """Start the server and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *self._persistence(),
                "--dir",
                self.directory,
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start in time")

    def _persistence(self) -> list[str]:
        if not self.appendonly:
            return ["--appendonly", "no"]
        return ["--appendonly", "yes", "--appendfsync", "everysec"]

    def stop(self) -> None:
        """Stop the server (an outage, as far as mojo can tell)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop the server and start a new process on the same port and directory.

        It comes back empty, or with its data when it persists (`appendonly=True`).
        """
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self.process is not None and self.process.poll() is None
