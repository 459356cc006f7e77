"""A webhook receiver in its own process, for tests that deliver to it over real HTTP.

``python -m tests.webhook_receiver --secret S --statuses 500,500,200 --log PATH`` (or
``--secret-file F``, read at each request: a webhook's secret is made after its URL) binds a free
port on 127.0.0.1, prints ``listening <port>`` and answers each successive POST with the next
status of the list (the last one once the list is used up; a 3xx points back at
``/redirected``, so a followed redirect would show in the log). Every request, GET included,
becomes one JSON line in PATH, written before the answer is sent: by the time the POSTing
side has its status, the line is there.

A line's `signature_valid` is judged against the receiver's real clock (tolerance 300 s),
as a user's receiver would judge it, or against ``--clock EPOCH``: a test that pins mojo's
clock (MOJO_FROZEN_NOW) signs with the pinned time and gives it here. The line also has
`timestamp_skew` (received_at minus the signed timestamp).

`started_receiver(tmp_path, secret=..., statuses=...)` starts one for a test and stops it
at the end. Nothing here sets up Django: `core.webhooks` needs none.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature_valid

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE_SECONDS = 300.0
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 5.0
REDIRECT_PATH = "/redirected"
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


class _Script:
    """The statuses to answer, one per POST, and the log every request is appended to."""

    def __init__(
        self,
        secret: str,
        statuses: Sequence[int],
        log: Path,
        *,
        secret_file: Path | None,
        clock: float | None,
    ) -> None:
        self.secret = secret
        self.secret_file = secret_file
        self.clock = clock
        self.statuses = list(statuses) or [200]
        self.log = log
        self.posts = 0
        # The server answers each connection on its own thread: one POST at a time takes a
        # status and writes its line, so the order of the statuses is the order of the POSTs.
        self.lock = threading.Lock()

    def record(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        """Pick the status for this request, append its line to the log, and return the status."""
        with self.lock:
            if method == "POST":
                status = self.statuses[min(self.posts, len(self.statuses) - 1)]
                self.posts += 1
            else:
                status = 200
            secret = self.secret_file.read_text().strip() if self.secret_file else self.secret
            line = _log_line(secret, path, headers, body, status, clock=self.clock)
            with self.log.open("a", encoding="utf-8") as log:
                log.write(json.dumps(line) + "\n")
        return status


def _log_line(
    secret: str, path: str, headers: dict[str, str], body: bytes, status: int, *, clock: float | None
) -> dict[str, Any]:
    received_at = time.time()
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    valid = bool(timestamp and signature) and webhook_signature_valid(
        secret,
        timestamp=timestamp,
        body=body,
        signature=signature,
        now=received_at if clock is None else clock,
        tolerance=TOLERANCE_SECONDS,
    )
    return {
        "path": path,
        "headers": headers,
        "body": body.decode("utf-8", errors="replace"),
        "status": status,
        "signature_valid": valid,
        "received_at": received_at,
        "timestamp_skew": received_at - int(timestamp) if _TIMESTAMP.fullmatch(timestamp) else None,
    }


def _handler(script: _Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer("POST")

        def do_GET(self) -> None:
            self._answer("GET")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status = script.record(method, self.path, dict(self.headers.items()), body)
            text = f"receiver answered {status}\n".encode()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", REDIRECT_PATH)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the JSON log is the record; stderr stays for real errors

    return Handler


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--secret")
    secret.add_argument("--secret-file", type=Path, help="read at each request: set after the URL is known")
    parser.add_argument(
        "--clock", type=float, help="the sender's pinned time (epoch seconds) to judge timestamps by"
    )
    parser.add_argument("--statuses", default="200", help="comma-separated, one per successive POST")
    parser.add_argument("--log", required=True, type=Path)
    args = parser.parse_args(argv)
    statuses = [int(status) for status in args.statuses.split(",") if status.strip()]
    script = _Script(args.secret or "", statuses, args.log, secret_file=args.secret_file, clock=args.clock)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


@dataclass(frozen=True)
class Receiver:
    """A running receiver: where to POST, and what it has received so far."""

    url: str
    log: Path
    process: subprocess.Popen[str]
    secret_file: Path

    def set_secret(self, secret: str) -> None:
        """The secret to check signatures with from now on (a webhook's is made after its URL)."""
        self.secret_file.write_text(secret)

    def requests(self) -> list[dict[str, Any]]:
        """Every request received so far, oldest first, as the JSON lines of the log."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line]


@contextmanager
def started_receiver(
    tmp_path: Path, *, secret: str | None = None, statuses: Sequence[int] = (200,), clock: float | None = None
) -> Iterator[Receiver]:
    """Start a receiver process answering `statuses`; stop it when the block ends.

    Without `secret`, signatures are checked with what `Receiver.set_secret` last wrote; with
    `clock`, timestamps are judged against that time rather than the receiver's own.
    """
    directory = Path(tempfile.mkdtemp(prefix="webhook-receiver-", dir=tmp_path))
    log, stderr_path, secret_file = (
        directory / "requests.jsonl",
        directory / "stderr.txt",
        directory / "secret",
    )
    secret_file.write_text(secret or "")
    command = [sys.executable, "-m", "tests.webhook_receiver", "--secret-file", str(secret_file)]
    command += ["--log", str(log), "--statuses", ",".join(str(status) for status in statuses)]
    if clock is not None:
        command += ["--clock", repr(clock)]
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        port = _listening_port(process, stderr_path)
        yield Receiver(url=f"http://127.0.0.1:{port}/hook", log=log, process=process, secret_file=secret_file)
    finally:
        _stop(process)


def _listening_port(process: subprocess.Popen[str], stderr_path: Path) -> int:
    """Wait for the ``listening <port>`` line; fail with the receiver's stderr if it never comes."""
    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # readline() blocks, so a hung receiver is caught by waiting on a queue, not on the pipe.
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=START_TIMEOUT_SECONDS)
    except queue.Empty:
        line = ""
    word, _, port = line.strip().partition(" ")
    if word != "listening" or not port.isdigit():
        _stop(process)
        raise RuntimeError(
            f"webhook receiver did not start within {START_TIMEOUT_SECONDS}s "
            f"(exit code {process.poll()}, said {line!r}):\n{stderr_path.read_text(errors='replace')}"
        )
    return int(port)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


if __name__ == "__main__":
    main()
