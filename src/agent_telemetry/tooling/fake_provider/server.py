"""The HTTP server: routing, scripted and behaviour replies, pacing, dropped and hung connections, admin.

Stdlib only. JSON answers use HTTP/1.1 keep-alive with a Content-Length; streams use chunked encoding so
that a dropped connection is visible to the client as an incomplete body, not a normal end.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import sys
import threading
import time
import traceback
from collections import OrderedDict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from agent_telemetry.tooling.fake_provider import anthropic_api, openai_api
from agent_telemetry.tooling.fake_provider.behaviour import Behaviour
from agent_telemetry.tooling.fake_provider.errors import anthropic_error, error_headers, openai_error
from agent_telemetry.tooling.fake_provider.ids import IdSource
from agent_telemetry.tooling.fake_provider.request_log import RecordedRequest, RequestLog, redact_headers
from agent_telemetry.tooling.fake_provider.script import ErrorSpec, Provider, Reply
from agent_telemetry.tooling.fake_provider.sse import SseEvent
from agent_telemetry.tooling.fake_provider.tokens import input_tokens

# (method, path pattern, endpoint). Anthropic's beta calls hit the same paths with ``?beta=true``.
_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/v1/chat/completions"), "openai.chat"),
    ("POST", re.compile(r"/v1/responses"), "openai.responses"),
    ("GET", re.compile(r"/v1/responses/(?P<id>[^/]+)"), "openai.responses.retrieve"),
    ("POST", re.compile(r"/v1/embeddings"), "openai.embeddings"),
    ("POST", re.compile(r"/v1/messages"), "anthropic.messages"),
    ("POST", re.compile(r"/v1/messages/count_tokens"), "anthropic.count_tokens"),
)
_NEEDS_MODEL = frozenset(
    {"openai.chat", "openai.responses", "openai.embeddings", "anthropic.messages", "anthropic.count_tokens"}
)
_STORED_RESPONSES = 1000  # retrievable responses kept; a long demo run must not grow without bound
_POLL_S = 0.05  # how often waits look at the stop flag and the client socket
_SERVE_POLL_S = 0.02  # how often the accept loop looks for shutdown(): bounds stop() latency


class _Exchange:
    """One request on its handler: reading, answering, and the waits that must end when the server stops."""

    def __init__(self, handler: _Handler, stop: threading.Event) -> None:
        self.handler = handler
        self.stop = stop
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path.rstrip("/") or "/"
        self.query = dict(parse_qsl(parts.query))
        self.headers = {name.lower(): value for name, value in handler.headers.items()}
        self.responded = False  # headers sent: an error can no longer be reported as a response
        self.raw_body = self._read_body()
        self.body: Any = None
        if self.raw_body:
            try:
                self.body = json.loads(self.raw_body)
            except ValueError:
                self.body = None

    def _read_body(self) -> bytes:
        rfile = self.handler.rfile
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = bytearray()
            while size := int(rfile.readline().split(b";")[0].strip() or b"0", 16):
                data += rfile.read(size)
                rfile.readline()
            rfile.readline()  # the blank line after the last chunk
            return bytes(data)
        length = int(self.headers.get("content-length") or 0)
        return rfile.read(length) if length else b""

    def client_gone(self) -> bool:
        """A waiting client sends nothing, so a readable socket with no data means it hung up."""
        sock = self.handler.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def wait(self, seconds: float) -> bool:
        """Sleep; False when the server is stopping or the client went away (no one left to answer)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self.stop.wait(min(remaining, _POLL_S)) or self.client_gone():
                return False
        return not self.stop.is_set()

    def hang(self) -> None:
        while not self.stop.wait(_POLL_S) and not self.client_gone():
            pass
        self.drop()

    def drop(self) -> None:
        """Close the socket without (finishing) an answer."""
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        handler = self.handler
        self.responded = True
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()

    def send_stream(
        self, events: list[SseEvent], headers: dict[str, str], *, chunk_delay_s: float, drop_after: int | None
    ) -> None:
        handler = self.handler
        self.responded = True
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.flush()
        sent_content = 0
        for position, event in enumerate(events):
            if drop_after is not None and sent_content >= drop_after:
                self.drop()
                return
            if position and chunk_delay_s and not self.wait(chunk_delay_s):
                self.drop()
                return
            if self.stop.is_set():
                self.drop()
                return
            data = event.encode()
            # One HTTP chunk per event, flushed, so the client sees each event as it is "generated".
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            handler.wfile.flush()
            sent_content += event.content
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms to every reply.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def _handle(self) -> None:
        exchange = None
        try:
            exchange = _Exchange(self, self.server.app._stop)
            self.server.app._handle(exchange)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up: nothing left to do
        except Exception as exc:
            # A bug here should fail the test with a readable 500, not as a mysterious dropped connection.
            traceback.print_exc()
            self.close_connection = True
            if exchange is not None and not exchange.responded:
                with contextlib.suppress(OSError):
                    exchange.send_json(
                        500, {"error": {"message": f"fake provider failure: {exc!r}", "type": "server_error"}}
                    )

    do_GET = _handle
    do_POST = _handle
    do_DELETE = _handle

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.log_requests:
            sys.stderr.write(f"fake-provider: {self.address_string()} {format % args}\n")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() ends handlers through the stop flag and socket shutdown, not by joining

    def __init__(self, address: tuple[str, int], app: FakeProviderServer) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Unblock handlers idling on keep-alive reads or writing streams."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class FakeProviderServer:
    """A local stand-in for the OpenAI and Anthropic APIs that the real SDK clients talk to unchanged.

    >>> with FakeProviderServer() as server:
    ...     client = openai.OpenAI(base_url=server.openai_base_url, api_key="test")
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        behaviour: Behaviour | None = None,
        log_requests: bool = False,
    ) -> None:
        self.behaviour = behaviour or Behaviour()
        self.log_requests = log_requests
        self._address = (host, port)
        self._stop = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._recorder = RequestLog()
        self._ids = IdSource()
        self._queue_lock = threading.Lock()
        self._queues: dict[Provider | None, deque[Reply]] = {
            None: deque(),
            "openai": deque(),
            "anthropic": deque(),
        }
        self._responses: OrderedDict[str, dict[str, Any]] = OrderedDict()

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> FakeProviderServer:
        if self._httpd is not None:
            raise RuntimeError("the fake provider is already running")
        self._stop.clear()
        self._httpd = _HTTPServer(self._address, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": _SERVE_POLL_S},
            name="fake-provider",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: sleeps, hangs and streams in progress end within one poll interval."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ----------------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._bound()[0]

    @property
    def port(self) -> int:
        return self._bound()[1]

    def _bound(self) -> tuple[str, int]:
        if self._httpd is None:
            raise RuntimeError("the fake provider is not running")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``openai.OpenAI(base_url=...)`` or ``OPENAI_BASE_URL``: the SDK's paths are relative to /v1."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """For ``anthropic.Anthropic(base_url=...)`` or ``ANTHROPIC_BASE_URL``: the SDK adds /v1 itself."""
        return self.base_url

    # --- scripting and inspection -------------------------------------------------------------------------

    def enqueue(self, *replies: Reply, provider: Provider | None = None) -> None:
        """Queue replies, consumed in order by the next API requests of ``provider`` (any provider if None).

        A provider's own queue is served before the global one. Every API request consumes one reply,
        including count_tokens, embeddings and responses retrieval (which then only use its error/timing).
        """
        if provider not in self._queues:
            raise ValueError(f"unknown provider {provider!r}")
        with self._queue_lock:
            self._queues[provider].extend(replies)

    def pending(self) -> int:
        """Scripted replies not consumed yet."""
        with self._queue_lock:
            return sum(len(queue) for queue in self._queues.values())

    def _next_reply(self, provider: Provider) -> Reply | None:
        with self._queue_lock:
            for queue in (self._queues[provider], self._queues[None]):
                if queue:
                    return queue.popleft()
        return None

    @property
    def requests(self) -> list[RecordedRequest]:
        """API requests received so far (admin calls excluded), oldest first."""
        return self._recorder.requests()

    @property
    def last_request(self) -> RecordedRequest:
        requests = self._recorder.requests()
        if not requests:
            raise LookupError("no request received")
        return requests[-1]

    def stats(self) -> dict[str, Any]:
        return {
            **self._recorder.stats(),
            "pending_replies": self.pending(),
            "behaviour": self.behaviour.snapshot(),
        }

    def reset(self) -> None:
        """Forget requests, counters, queued replies and stored responses (behaviour is kept)."""
        self._recorder.clear()
        with self._queue_lock:
            for queue in self._queues.values():
                queue.clear()
            self._responses.clear()

    # --- request handling ---------------------------------------------------------------------------------

    def _handle(self, exchange: _Exchange) -> None:
        if exchange.path.startswith("/_admin/"):
            self._admin(exchange)
            return
        endpoint, params = _route(exchange.method, exchange.path)
        self._recorder.request(
            RecordedRequest(
                method=exchange.method,
                path=exchange.path,
                query=exchange.query,
                headers=redact_headers(exchange.headers),
                body=exchange.body,
                endpoint=endpoint,
            )
        )
        if endpoint is None:
            provider: Provider = "anthropic" if "anthropic-version" in exchange.headers else "openai"
            self._send_error(
                exchange, provider, ErrorSpec(404, message=f"Unknown path {exchange.method} {exchange.path}")
            )
            self._recorder.outcome(404, scripted=False, injected=False)
            return
        self._serve_api(exchange, endpoint, params)

    def _serve_api(self, exchange: _Exchange, endpoint: str, params: dict[str, str]) -> None:
        provider: Provider = "anthropic" if endpoint.startswith("anthropic.") else "openai"
        problem = _validate(exchange, endpoint, provider)
        if problem is not None:
            self._send_error(exchange, provider, problem)
            self._recorder.outcome(problem.status, scripted=False, injected=False)
            return

        reply = self._next_reply(provider)
        scripted, injected = reply is not None, False
        if reply is None:
            decision = self.behaviour.decide()
            injected = decision.status is not None
            error = ErrorSpec(decision.status) if decision.status is not None else None
            reply = Reply(error=error, delay_s=decision.delay_s, chunk_delay_s=decision.chunk_delay_s)

        def outcome(status: int | None) -> None:
            self._recorder.outcome(status, scripted=scripted, injected=injected)

        if reply.hang:
            exchange.hang()
            outcome(None)
            return
        if reply.delay_s and not exchange.wait(reply.delay_s):
            exchange.drop()
            outcome(None)
            return
        if reply.error is not None:
            self._send_error(exchange, provider, reply.error)
            outcome(reply.error.status)
            return
        body: dict[str, Any] = exchange.body if isinstance(exchange.body, dict) else {}
        stream = body.get("stream") is True
        if reply.drop_after_chunks is not None and not stream:
            exchange.drop()
            outcome(None)
            return
        outcome(self._answer(exchange, endpoint, params, body, reply))

    def _answer(
        self, exchange: _Exchange, endpoint: str, params: dict[str, str], body: dict[str, Any], reply: Reply
    ) -> int:
        provider: Provider = "anthropic" if endpoint.startswith("anthropic.") else "openai"
        headers = self._response_headers(provider)
        usage = reply.resolved_usage(input_tokens(endpoint, body))
        created = int(time.time())
        events: list[SseEvent] | None = None
        payload: Any = None
        if endpoint == "openai.chat":
            if body.get("stream") is True:
                events = openai_api.chat_stream(body, reply, usage, self._ids, created)
            else:
                payload = openai_api.chat_completion(body, reply, usage, self._ids, created)
        elif endpoint == "openai.responses":
            builder = openai_api.ResponseBuilder(body, reply, usage, self._ids, created)
            self._store_response(builder.response())
            if body.get("stream") is True:
                events = builder.events()
            else:
                payload = builder.response()
        elif endpoint == "openai.responses.retrieve":
            payload = self._stored_response(params["id"])
            if payload is None:
                message = f"Response with id '{params['id']}' not found."
                self._send_error(exchange, provider, ErrorSpec(404, code=None, message=message))
                return 404
        elif endpoint == "openai.embeddings":
            payload = openai_api.embeddings(body, reply, usage.input_tokens)
        elif endpoint == "anthropic.messages":
            if body.get("stream") is True:
                events = anthropic_api.message_stream(body, reply, usage, self._ids)
            else:
                payload = anthropic_api.message(body, reply, usage, self._ids)
        else:  # anthropic.count_tokens
            payload = anthropic_api.count_tokens(usage.input_tokens)

        if events is not None:
            exchange.send_stream(
                events, headers, chunk_delay_s=reply.chunk_delay_s, drop_after=reply.drop_after_chunks
            )
        else:
            exchange.send_json(200, payload, headers)
        return 200

    def _response_headers(self, provider: Provider) -> dict[str, str]:
        if provider == "anthropic":
            return {"request-id": self._ids.next("req_")}
        return {"x-request-id": self._ids.next("req_"), "openai-processing-ms": "1"}

    def _send_error(self, exchange: _Exchange, provider: Provider, spec: ErrorSpec) -> None:
        headers = {**self._response_headers(provider), **error_headers(spec)}
        if provider == "anthropic":
            payload = anthropic_error(spec, headers["request-id"])
        else:
            payload = openai_error(spec)
        exchange.send_json(spec.status, payload, headers)

    def _store_response(self, response: dict[str, Any]) -> None:
        with self._queue_lock:
            self._responses[response["id"]] = response
            while len(self._responses) > _STORED_RESPONSES:
                self._responses.popitem(last=False)

    def _stored_response(self, response_id: str) -> dict[str, Any] | None:
        with self._queue_lock:
            return self._responses.get(response_id)

    # --- admin --------------------------------------------------------------------------------------------

    def _admin(self, exchange: _Exchange) -> None:
        route = (exchange.method, exchange.path)
        if route == ("GET", "/_admin/stats"):
            exchange.send_json(200, self.stats())
        elif route == ("GET", "/_admin/behaviour"):
            exchange.send_json(200, self.behaviour.snapshot())
        elif route == ("POST", "/_admin/behaviour"):
            if not isinstance(exchange.body, dict):
                exchange.send_json(400, {"error": "expected a JSON object"})
                return
            try:
                self.behaviour.update_from_json(exchange.body)
            except (TypeError, ValueError) as exc:
                exchange.send_json(400, {"error": str(exc)})
                return
            exchange.send_json(200, self.behaviour.snapshot())
        elif route == ("POST", "/_admin/reset"):
            self.reset()
            exchange.send_json(200, self.stats())
        else:
            exchange.send_json(404, {"error": f"unknown admin endpoint {exchange.method} {exchange.path}"})


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    for route_method, pattern, endpoint in _ROUTES:
        match = pattern.fullmatch(path)
        if match and method == route_method:
            return endpoint, match.groupdict()
    return None, {}


def _validate(exchange: _Exchange, endpoint: str, provider: Provider) -> ErrorSpec | None:
    """The checks the real APIs make before anything else: credentials, then a JSON body with a model."""
    headers = exchange.headers
    if provider == "openai":
        authorized = (
            headers.get("authorization", "").startswith("Bearer ") and len(headers["authorization"]) > 7
        )
    else:
        authorized = bool(headers.get("x-api-key") or headers.get("authorization"))
    if not authorized:
        return ErrorSpec(401)
    if exchange.method == "GET":
        return None
    if not isinstance(exchange.body, dict):
        return ErrorSpec(400, message="We could not parse the JSON body of your request.")
    if endpoint in _NEEDS_MODEL and not exchange.body.get("model"):
        return ErrorSpec(400, param="model", message="you must provide a model parameter")
    return None
