"""The sandbox HTTP server: Massive's and FMP's endpoints plus a control API on one loopback port.

Every provider request is counted, then delayed by the configured latency, then answered 503
while the providers are "down", then given the next scripted fault matching its path, then
checked for a key, then refused if its entitlement is switched off, then routed; once its
answer is ready it goes in the request log (arrival and answer times, path, status). Control
requests live under `/__sandbox/` and are neither counted nor logged; `GET /__sandbox/counters`
serves the counters, `GET /__sandbox/requests` the log in order of arrival, and
`GET /__sandbox/universe` the symbols served (the 57, then the `universe` generated ones).

    server = SandboxServer(today=date(2026, 11, 24)).start()
    server.control.fault(path="/v3/snapshot/options/AAPL", kind="status", status=429, retry_after=1)
    ...
    server.stop()
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from devtools.sandbox import data, routes, wire
from devtools.sandbox.control import SandboxControl
from devtools.sandbox.reference import DETAILS_FIELDS
from devtools.sandbox.splits import Split
from devtools.sandbox.state import Fault, SandboxState
from devtools.sandbox.universe import Universe, universe_of
from devtools.sandbox.wire import Request, Response

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/__sandbox/"


class SandboxServer:
    """The offline provider; `today` pins its date (default: the New York date, live).

    `universe` adds that many generated symbols to the 57 it serves (`universe.universe_of`):
    the same ones every run, answered by every endpoint as the 57 are.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, today: date | None = None, universe: int = 0
    ) -> None:
        self.today = today
        self.universe = universe_of(universe)
        self.state = SandboxState()
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self.base_url = f"http://{host}:{self.port}"
        self.control = SandboxControl(self.base_url)
        self._thread: threading.Thread | None = None
        self._serving = False

    def start(self) -> SandboxServer:
        """Serve in a background daemon thread; return self."""
        data.warm_up()  # so the first request is not the one that pays for the calendar
        self._serving = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_until_signalled(self, signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)) -> int:
        """Serve until one of `signals` arrives, then stop; return the signal's number.

        The handlers are installed here rather than relying on Python's KeyboardInterrupt:
        a process started with SIGINT ignored (a background job of a non-interactive shell,
        nohup) never gets one. Serving happens on the background thread, so the main thread
        only sleeps and stopping never waits on what a connection is doing: handler threads
        are daemons, and `stop()` waits only for the accept loop (0.1 s poll).
        """
        received: list[int] = []

        def note(signum: int, _frame: object) -> None:
            received.append(signum)

        previous = {signum: signal.signal(signum, note) for signum in signals}
        try:
            self.start()
            while not received:
                time.sleep(0.1)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.stop()
        return received[0]

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._serving:
            self._serving = False
            self._httpd.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=5)
                self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def clock(self) -> tuple[date, datetime | None]:
        """The sandbox's today, and now when it is live or pinned (None when only today is)."""
        if (pinned := self.state.now) is not None:
            return pinned.astimezone(data.NEW_YORK).date(), pinned
        if self.today is not None:
            return self.today, None
        now = datetime.now(tz=data.NEW_YORK)
        return now.date(), now

    def provider(self, method: str, path: str, query: dict[str, str], headers: Any) -> Response:
        """Answer one provider request and log it: count, latency, down, faults, auth, entitlement, route."""
        arrival = self.state.count(path)
        status = 500  # what the handler answers when answering raised
        try:
            response = self._answer(method, path, query, headers)
            status = 0 if response.reset else response.status
            return response
        finally:
            self.state.log(arrival, method=method, path=path, status=status)

    def _answer(self, method: str, path: str, query: dict[str, str], headers: Any) -> Response:
        state = self.state
        if (latency := state.latency) > 0:
            time.sleep(latency)
        if state.down:
            return wire.error_for(path, 503)
        fault = state.take_fault(path)
        if fault is not None:
            if fault.kind == "status":
                return _status_fault(path, fault)
            if fault.kind == "invalid_json":
                return wire.not_json()
            if fault.kind == "reset":
                return Response(0, reset=True)
            time.sleep(fault.seconds or 0.0)  # "hang": late, then a normal answer
        today, now = self.clock()
        request = Request(
            method=method,
            path=path,
            query=query,
            authorization=headers.get("Authorization", ""),
            host_url=f"http://{headers['Host']}" if headers.get("Host") else self.base_url,
            today=today,
            now=now,
            splits=state.splits,
            details=state.details_overrides(),
            calendar_cap=state.calendar_cap,
            universe=self.universe,
        )
        if not wire.authorized(request):
            return wire.error_for(path, 401)
        if (refused := state.not_entitled(path)) is not None:
            return wire.not_entitled(path, refused)
        return routes.route(request, malformed=state.malformed_count, legacy_fmp=state.legacy_fmp)

    def control_request(self, method: str, path: str, body: bytes) -> Response:
        """Answer one control request under /__sandbox/."""
        action = path[len(CONTROL_PREFIX) :].strip("/")
        state = self.state
        if method == "GET" and action == "counters":
            return _ok(state.counters())
        if method == "GET" and action == "requests":
            return _ok({"requests": [asdict(request) for request in state.requests()]})
        if method == "GET" and action == "universe":
            return _ok({"symbols": list(self.universe.symbols), "generated": self.universe.extra})
        if method != "POST":
            return _control_error(405, f"{method} {path} is not a control action")
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            if action == "reset":
                state.reset()
            elif action == "faults":
                state.add_fault(Fault.from_payload(payload))
            elif action == "latency":
                state.set_latency(_number(payload, "seconds"))
            elif action in ("down", "up"):
                state.set_down(action == "down")
            elif action == "malformed":
                symbol = payload.get("symbol")
                if not isinstance(symbol, str) or not symbol:
                    raise ValueError("symbol must be a non-empty string")
                state.set_malformed(symbol, int(_number(payload, "count")))
            elif action == "legacy_fmp":
                state.set_legacy_fmp(bool(payload.get("enabled", True)))
            elif action == "entitlement":
                state.set_entitlement(_path(payload), bool(payload.get("entitled", True)), _status(payload))
            elif action == "ticker_details":
                state.override_details(*_details(payload, self.universe))
            elif action == "calendar_cap":
                state.set_calendar_cap(int(_number(payload, "rows")))
            elif action == "clock":
                state.set_now(_moment(payload.get("now")))
            elif action == "split":
                split = _split(payload, today=self.clock()[0], universe=self.universe)
                state.add_split(split)
                return _ok({"ok": True, "execution_date": split.execution_date.isoformat()})
            else:
                return _control_error(404, f"unknown control action {action!r}")
        except ValueError as exc:
            return _control_error(400, str(exc))
        return _ok({"ok": True})


def _number(payload: dict[str, Any], key: str) -> float:
    value = payload.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _path(payload: dict[str, Any]) -> str:
    path = payload.get("path")
    if not isinstance(path, str):
        raise ValueError("path must be a URL path starting with '/'")
    return path


def _status(payload: dict[str, Any]) -> int:
    status = payload.get("status", 403)
    if not isinstance(status, int) or isinstance(status, bool):
        raise ValueError("status must be an integer")
    return status


def _details(payload: dict[str, Any], universe: Universe) -> tuple[str, dict[str, Any]]:
    """A universe symbol and the ticker-details fields to answer for it."""
    symbol, overrides = payload.get("symbol"), payload.get("overrides")
    if not isinstance(symbol, str) or symbol not in universe:
        raise ValueError("symbol must be one of the sandbox's symbols")
    if not isinstance(overrides, dict) or not overrides:
        raise ValueError("overrides must be a non-empty object of ticker-details fields")
    if unknown := sorted(set(overrides) - DETAILS_FIELDS):
        raise ValueError(f"not ticker-details fields: {', '.join(unknown)}")
    return symbol, overrides


def _split(payload: dict[str, Any], *, today: date, universe: Universe) -> Split:
    """A live split of a universe symbol, executed today."""
    symbol = payload.get("symbol")
    if not isinstance(symbol, str) or symbol not in universe:
        raise ValueError("symbol must be one of the sandbox's symbols")
    split_from, split_to = _number(payload, "split_from"), _number(payload, "split_to")
    return Split(symbol, today, split_from, split_to, live=True)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("now must be an ISO 8601 date-time with an offset, or null")
    return datetime.fromisoformat(value)


def _ok(payload: dict[str, Any]) -> Response:
    return Response(200, json.dumps(payload).encode(), {"Content-Type": wire.JSON_TYPE})


def _control_error(status: int, message: str) -> Response:
    return Response(status, json.dumps({"error": message}).encode(), {"Content-Type": wire.JSON_TYPE})


def _status_fault(path: str, fault: Fault) -> Response:
    status = fault.status or 500
    headers = {}
    if status == 429 and fault.retry_after is not None:
        headers["Retry-After"] = wire.format_retry_after(fault.retry_after)
    return wire.error_for(path, status, headers)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sandbox: SandboxServer
    ) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are part of the sandbox's job.
        logger.debug("sandbox connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the providers and urllib3's pools expect
    server: _HTTPServer
    timeout = 300  # idle keep-alive connections give their thread back eventually

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK stall every keep-alive response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = unquote(split.path)
        sandbox = self.server.sandbox
        try:
            if path.startswith(CONTROL_PREFIX):
                response = sandbox.control_request(method, path, body)
            else:
                query = dict(parse_qsl(split.query, keep_blank_values=True))
                response = sandbox.provider(method, path, query, self.headers)
        except Exception:
            logger.exception("sandbox failed to answer %s %s", method, self.path)
            response = wire.massive_error(500, "The sandbox failed; see its log.")
        if response.reset:
            self._reset()
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a read timeout shorter than a scripted hang).
            self.close_connection = True

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response (SO_LINGER 0, then close)."""
        connection: socket.socket = self.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the file object holds a reference; the RST comes with the last close
        connection.close()
        self.rfile, self.wfile = BytesIO(), BytesIO()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)
