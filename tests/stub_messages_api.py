"""A local HTTP server speaking the Messages API, for tests that drive the real anthropic SDK.

The SDK (httpx2 underneath) cannot be intercepted by respx, so tests point it at this server with
`base_url=stub.base_url`. The stub is a `ThreadingHTTPServer` on 127.0.0.1 with a free port, one
daemon thread per connection, so concurrent requests overlap and `latency` behaves like a slow
API under `asyncio.gather`.

- `POST /v1/messages` answers like the API: text blocks with `char_location` citations, `usage`,
  `stop_reason`, `model`, `id`. The default answer cites the first sentence (of the first
  document, in order) that contains a keyword of the question (a word of five letters or more,
  bar a few question words), else says `INSUFFICIENT_EVIDENCE`. Set `responder` to answer
  differently: it gets the parsed body and returns a list of content blocks, or a dict merged
  over the default message.
- `fail(kind)` queues faults, served first-in first-out, one per request: "rate_limit" (429 with
  `retry-after`), "overloaded" (529), "server_error" (500), "timeout" (hang longer than the
  client waits), "bad_request" (400), "auth" (401), "not_found" (404); `fail_with` any status.
- Message batches: `POST /v1/messages/batches` answers every request at once (a queued fault
  makes one request "errored", a timeout fault "expired"); the batch reads "in_progress" until it
  has been retrieved `batch_polls` + 1 times, then "ended" with a `results_url` (JSONL).
  `fail_poll(kind)` queues faults for the status polls (`GET /v1/messages/batches/ID`) alone,
  first-in first-out, one per poll: any kind `fail` takes but "timeout", or "disconnect" (the
  connection closed with no response). A failed poll does not count towards `batch_polls`.
- `requests` logs every request: method, path, header names, a SHA-256 of the credential sent
  (never the credential), the raw body text and the parsed JSON body. `counters` counts them.
- `timings()` gives, per request in arrival order, when it was received and when its response
  was fully written (`time.monotonic()`, None while unanswered), to compare with a kill time.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], "list[dict[str, Any]] | dict[str, Any]"]

FAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your limit."),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "server_error": (500, "api_error", "Internal server error"),
    "bad_request": (400, "invalid_request_error", "messages: field required"),
    "auth": (401, "authentication_error", "invalid x-api-key"),
    "not_found": (404, "not_found_error", "model: not found"),
}
_STOPWORDS = {"which", "where", "whose", "there", "their", "about", "would", "could", "should"}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    header_names: tuple[str, ...]
    credential_sha256: str | None
    raw_body: str
    body: Any


@dataclass
class Fault:
    kind: str
    status: int = 500
    error_type: str = "api_error"
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_block(text: str, citations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if citations is not None:
        block["citations"] = citations
    return block


def documents(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The document blocks of the request's user turns, in order: `document_index` counts these."""
    return [
        block
        for message in body.get("messages", [])
        if message.get("role") == "user" and isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == "document"
    ]


def question(body: dict[str, Any]) -> str:
    """The text of the last user turn's text blocks."""
    for message in reversed(body.get("messages", [])):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(b["text"] for b in content if b.get("type") == "text")
    return ""


def char_citation(
    body: dict[str, Any], document_index: int, start: int, end: int
) -> dict[str, Any]:
    """A `char_location` citation of `documents(body)[document_index]` text[start:end]."""
    document = documents(body)[document_index]
    return {
        "type": "char_location",
        "cited_text": document["source"]["data"][start:end],
        "document_index": document_index,
        "document_title": document.get("title"),
        "start_char_index": start,
        "end_char_index": end,
    }


def sentences(text: str) -> list[tuple[int, int]]:
    """Naive sentence spans: runs ending at . ! ? or a newline, trimmed."""
    spans = []
    for match in re.finditer(r"[^.!?\n]+[.!?]*", text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def default_responder(body: dict[str, Any]) -> list[dict[str, Any]]:
    keywords = [
        word
        for word in re.findall(r"\w+", question(body).lower())
        if len(word) >= 5 and word not in _STOPWORDS
    ]
    for index, document in enumerate(documents(body)):
        text = document["source"]["data"]
        for start, end in sentences(text):
            words = set(re.findall(r"\w+", text[start:end].lower()))
            if any(keyword in words for keyword in keywords):
                cited = char_citation(body, index, start, end)
                return [text_block(text[start:end], [cited])]
    return [text_block("INSUFFICIENT_EVIDENCE")]


def http_fault(kind: str, retry_after: float | str | None) -> Fault:
    """One of FAULTS as the API sends it; a 429 gets `retry-after: 1` unless told."""
    status, error_type, message = FAULTS[kind]
    if retry_after is None and kind == "rate_limit":
        retry_after = 1
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return Fault(kind, status, error_type, message, headers)


class MessagesStub:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        responder: Responder | None = None,
        model: str | None = None,
    ) -> None:
        self.latency = latency
        self.responder = responder
        self.model = model  # the model the stub says served the request; default: as asked
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._faults: deque[Fault] = deque()
        self._poll_faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []
        self._received: list[float] = []
        self._answered: dict[int, float] = {}
        self._counters: Counter[str] = Counter()
        self._in_flight = 0
        self._batches: dict[str, dict[str, Any]] = {}
        self.batch_polls = 0  # retrievals that still say "in_progress"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> MessagesStub:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits
            name="messages-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MessagesStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("MessagesStub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # faults
    def fail(
        self,
        kind: str,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        hang_seconds: float = 30.0,
    ) -> None:
        """Queue `times` faults of `kind` (see the module docstring). `retry_after` sets the
        `retry-after` header (a 429 gets "1" unless told); a timeout hangs `hang_seconds`."""
        if kind == "timeout":
            fault = Fault(kind, hang_seconds=hang_seconds)
        elif kind in FAULTS:
            fault = http_fault(kind, retry_after)
        else:
            raise ValueError(f"unknown fault {kind!r}: use 'timeout' or one of {sorted(FAULTS)}")
        with self._lock:
            self._faults.extend(fault for _ in range(times))

    def fail_poll(
        self, kind: str, *, times: int = 1, retry_after: float | str | None = None
    ) -> None:
        """Queue `times` faults of `kind` for batch status polls: one of FAULTS (an HTTP error,
        as `fail` gives it) or "disconnect" (the connection is closed without a response)."""
        if kind == "disconnect":
            fault = Fault(kind)
        elif kind in FAULTS:
            fault = http_fault(kind, retry_after)
        else:
            raise ValueError(
                f"unknown poll fault {kind!r}: use 'disconnect' or one of {sorted(FAULTS)}"
            )
        with self._lock:
            self._poll_faults.extend(fault for _ in range(times))

    def fail_with(
        self,
        status: int,
        error_type: str,
        message: str = "",
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        fault = Fault(f"http_{status}", status, error_type, message, dict(headers or {}))
        with self._lock:
            self._faults.extend(fault for _ in range(times))

    # what happened
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def timings(self) -> list[tuple[RecordedRequest, float, float | None]]:
        """(request, received at, response written at or None), in arrival order."""
        with self._lock:
            return [
                (r, self._received[i], self._answered.get(i)) for i, r in enumerate(self._requests)
            ]

    def message_bodies(self) -> list[Any]:
        return [r.body for r in self.requests if r.path == "/v1/messages"]

    # serving (called from handler threads)
    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            self._received.append(time.monotonic())
            self._counters["requests"] += 1
            self._in_flight += 1
            self._counters["max_in_flight"] = max(self._counters["max_in_flight"], self._in_flight)
            return len(self._requests) - 1

    def _answer_written(self, index: int) -> None:
        with self._lock:
            self._answered[index] = time.monotonic()

    def _done(self, status: int) -> None:
        with self._lock:
            self._in_flight -= 1
            self._counters["ok" if status == 200 else "errors"] += 1

    def _take(self, counter: str) -> tuple[int, Fault | None]:
        """Count one message request under `counter`; its number and the next queued fault."""
        with self._lock:
            self._counters[counter] += 1
            fault = self._faults.popleft() if self._faults else None
            if fault is not None:
                self._counters[f"fault:{fault.kind}"] += 1
            return self._counters[counter], fault

    def _message(self, body: dict[str, Any], message_id: str) -> dict[str, Any]:
        reply = (self.responder or default_responder)(body)
        content = reply if isinstance(reply, list) else reply.get("content", [])
        output = sum(len(block.get("text", "")) for block in content)
        message: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": self.model or body.get("model"),
            "content": content,
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": len(json.dumps(body)) // 4,
                "output_tokens": output // 4 + 1,
            },
        }
        if isinstance(reply, dict):
            message.update(reply)
        return message

    def _create_message(self, body: Any) -> Reply:
        number, fault = self._take("messages")
        if fault is not None:
            if fault.kind == "timeout":
                self._stopping.wait(fault.hang_seconds)
                return _error(504, "timeout_error", "the client should have given up by now")
            return _error(fault.status, fault.error_type, fault.message, fault.headers)
        problem = _invalid(body)
        if problem:
            return _error(400, "invalid_request_error", problem)
        try:
            return 200, self._message(body, f"msg_stub_{number:05d}"), {}
        except Exception as error:  # a broken responder is a test bug: say so in the response
            return _error(500, "api_error", f"stub responder failed: {error!r}")

    # message batches: processed at creation, "ended" after `batch_polls` retrievals
    def _create_batch(self, body: Any) -> Reply:
        requests = body.get("requests") if isinstance(body, dict) else None
        if not requests or not all(isinstance(r, dict) and "custom_id" in r for r in requests):
            return _error(400, "invalid_request_error", "requests: custom_id and params required")
        results = [self._batch_result(r["custom_id"], r.get("params")) for r in requests]
        with self._lock:
            self._counters["batches"] += 1
            batch_id = f"msgbatch_stub_{self._counters['batches']:04d}"
            self._batches[batch_id] = {"results": results, "polls": 0, "canceled": False}
        return 200, self._batch(batch_id), {}

    def _batch_result(self, custom_id: str, params: Any) -> dict[str, Any]:
        number, fault = self._take("batch_requests")
        problem = _invalid(params)
        if fault is not None and fault.kind == "timeout":
            return {"custom_id": custom_id, "result": {"type": "expired"}}
        if fault is not None or problem:
            kind = fault.error_type if fault else "invalid_request_error"
            error = {"type": kind, "message": fault.message if fault else problem}
            result = {"type": "errored", "error": {"type": "error", "error": error}}
            return {"custom_id": custom_id, "result": result}
        message = self._message(params, f"msg_stub_batch_{number:05d}")
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}

    def _batch(self, batch_id: str, *, poll: bool = False, cancel: bool = False) -> dict[str, Any]:
        with self._lock:
            batch = self._batches[batch_id]
            batch["polls"] += poll
            if cancel and not batch.get("ended"):
                # as the API does: requests not yet processed end up "canceled"
                batch["results"] = [
                    {"custom_id": r["custom_id"], "result": {"type": "canceled"}}
                    for r in batch["results"]
                ]
            batch["canceled"] |= cancel
            ended = batch["canceled"] or (poll and batch["polls"] > self.batch_polls)
            batch["ended"] = batch.get("ended") or ended
            results, ended, canceled = batch["results"], batch["ended"], batch["canceled"]
        counts = Counter(r["result"]["type"] for r in results)
        created = "2026-01-01T00:00:00Z"
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else len(results),
                "succeeded": counts["succeeded"] if ended else 0,
                "errored": counts["errored"] if ended else 0,
                "canceled": 0,
                "expired": counts["expired"] if ended else 0,
            },
            "created_at": created,
            "expires_at": "2026-01-02T00:00:00Z",
            "ended_at": created if ended else None,
            "cancel_initiated_at": created if canceled else None,
            "archived_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch_id}/results"
            if ended
            else None,
        }

    def _batch_request(self, method: str, path: str) -> Reply:
        parts = path.removeprefix("/v1/messages/batches/").split("/")
        batch_id, action = parts[0], "/".join(parts[1:])
        with self._lock:
            known = batch_id in self._batches
        if not known:
            return _error(404, "not_found_error", f"message batch {batch_id!r} not found")
        if method == "GET" and action == "":
            with self._lock:
                self._counters["polls"] += 1
                fault = self._poll_faults.popleft() if self._poll_faults else None
                if fault is not None:
                    self._counters[f"poll_fault:{fault.kind}"] += 1
            if fault is not None and fault.kind == "disconnect":
                return DISCONNECT
            if fault is not None:
                return _error(fault.status, fault.error_type, fault.message, fault.headers)
            return 200, self._batch(batch_id, poll=True), {}
        if method == "POST" and action == "cancel":
            return 200, self._batch(batch_id, cancel=True), {}
        if method == "GET" and action == "results":
            if self._batch(batch_id)["processing_status"] != "ended":
                return _error(400, "invalid_request_error", "batch is still in progress")
            with self._lock:
                lines = [json.dumps(r) for r in self._batches[batch_id]["results"]]
            return 200, "\n".join(lines) + "\n", {"content-type": "application/binary"}
        return _error(404, "not_found_error", f"{method} {path}: not found")


Reply = tuple[int, "dict[str, Any] | str", dict[str, str]]
DISCONNECT: Reply = (0, "", {})  # close the connection without writing a response


def _invalid(body: Any) -> str | None:
    """Why the API would reject `body` as a Messages request, or None."""
    if not isinstance(body, dict) or not all(k in body for k in ("model", "max_tokens")):
        return "model, max_tokens: field required"
    if not body.get("messages"):
        return "messages: at least one message required"
    if any(not d.get("source", {}).get("data") for d in documents(body)):
        return "document text must be non-empty"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up stop()
    request_queue_size = 256
    stub: MessagesStub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle keep-alive connection is kept
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        stub = self.server.stub
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        credential = self.headers.get("x-api-key") or self.headers.get("authorization")
        if credential and credential.lower().startswith("bearer "):
            credential = credential[7:]
        path = self.path.split("?", 1)[0]
        header_names = tuple(self.headers.keys())
        fingerprint = sha256(credential) if credential else None
        index = stub._record(RecordedRequest(method, path, header_names, fingerprint, raw, body))
        status = 500
        try:
            if stub.latency:
                stub._stopping.wait(stub.latency)
            if not credential:
                reply = _error(401, "authentication_error", "x-api-key header is required")
            elif (method, path) == ("POST", "/v1/messages"):
                reply = stub._create_message(body)
            elif (method, path) == ("POST", "/v1/messages/batches"):
                reply = stub._create_batch(body)
            elif path.startswith("/v1/messages/batches/"):
                reply = stub._batch_request(method, path)
            else:
                reply = _error(404, "not_found_error", f"{method} {path}: not found")
            if reply is DISCONNECT:
                self.close_connection = True  # the client reads the connection closed
                return
            status = reply[0]
            self._send(*reply)
            stub._answer_written(index)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            stub._done(status)

    def _send(self, status: int, payload: dict[str, Any] | str, headers: dict[str, str]) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        headers = {"content-type": "application/json", **headers}
        self.send_response(status)
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", f"req_stub_{id(payload):x}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error(
    status: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return status, body, dict(headers or {})
