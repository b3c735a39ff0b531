"""A fake OpenAI API for the wrapper's tests: chat completions and responses, JSON and SSE.

The same handler answers through ``httpx.MockTransport`` (in process) and through a
local HTTP server on a loopback port (:class:`LocalServer`), so the SDK's real
transport, retries and SSE decoder are exercised without any network.

The answer to a question is ``"answer: <last user text>"``. ``FakeAPI`` switches:
``tool_calls``, ``finish_reason``, ``fail_status`` (an error response), ``delay_s``,
``abort_stream`` (the stream breaks off without its end), ``error_mid_stream``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import openai
import openai._base_client as _base

#: The HTTP library the installed SDK is built on (httpx for 1.x, httpx2 for 3.x).
HTTPX: ModuleType = getattr(_base, "httpx2", None) or _base.httpx

USAGE = {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27}
RESPONSES_USAGE = {
    "input_tokens": 20,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 27,
}


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


@dataclass
class FakeAPI:
    """The server's behaviour and what it saw."""

    tool_calls: bool = False
    finish_reason: str = "stop"
    fail_status: int | None = None
    delay_s: float = 0.0
    abort_stream: bool = False
    error_mid_stream: bool = False
    answer_prefix: str = "answer: "
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- the API ---------------------------------------------------------------------------

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, str, bytes]:
        """(status, content type, payload) for one request."""
        with self._lock:
            self.requests.append({"path": path, **body})
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_status is not None:
            error = {
                "error": {"message": "boom", "type": "server_error", "code": None, "param": None}
            }
            return self.fail_status, "application/json", json.dumps(error).encode()
        if path.endswith("/chat/completions"):
            completion = self.completion(body)
            if body.get("stream"):
                return 200, "text/event-stream", self.chat_sse(completion, body)
            return 200, "application/json", json.dumps(completion).encode()
        if path.endswith("/responses"):
            response = self.response(body)
            if body.get("stream"):
                return 200, "text/event-stream", self.responses_sse(response)
            return 200, "application/json", json.dumps(response).encode()
        return 404, "application/json", b'{"error": {"message": "not found"}}'

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        text = self.answer_prefix + _last_user_text(body.get("messages", []))
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            text = json.dumps({"city": "Paris"})
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        finish = self.finish_reason
        if self.tool_calls:
            message = {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q": "x"}'},
                    }
                ],
            }
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "") + "-2024",
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": dict(USAGE),
            "system_fingerprint": "fp_1",
        }

    def chat_sse(self, completion: dict[str, Any], body: dict[str, Any]) -> bytes:
        head = {k: completion[k] for k in ("id", "created", "model")} | {
            "object": "chat.completion.chunk"
        }
        message = completion["choices"][0]["message"]
        usage = (body.get("stream_options") or {}).get("include_usage")
        extra = {"usage": None} if usage else {}
        deltas: list[tuple[dict[str, Any], str | None]] = [
            ({"role": "assistant", "content": ""}, None)
        ]
        if message.get("content"):
            for word in message["content"].split(" "):
                deltas.append(({"content": word + " "}, None))
            deltas[-1] = ({"content": deltas[-1][0]["content"].rstrip()}, None)
        for k, call in enumerate(message.get("tool_calls") or ()):
            deltas.append(({"tool_calls": [{"index": k, **call}]}, None))
        deltas.append(({}, completion["choices"][0]["finish_reason"]))
        events = [
            head
            | {"choices": [{"index": 0, "delta": d, "finish_reason": f, "logprobs": None}]}
            | extra
            for d, f in deltas
        ]
        if usage:
            events.append(head | {"choices": [], "usage": completion["usage"]})
        if self.abort_stream:
            events = events[:2]
        if self.error_mid_stream:  # the API reports a failure after the first chunk
            events = [*events[:1], {"error": {"message": "overloaded", "type": "server_error"}}]
        lines = [f"data: {json.dumps(e)}\n\n" for e in events]
        if not self.abort_stream:
            lines.append("data: [DONE]\n\n")
        return "".join(lines).encode()

    def response(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("input")
        question = raw if isinstance(raw, str) else _last_user_text(raw or [])
        text = self.answer_prefix + question
        fmt = (body.get("text") or {}).get("format") or {}
        if fmt.get("type") == "json_schema":  # responses.parse(text_format=...)
            text = json.dumps({"city": "Paris"})
        output: list[dict[str, Any]] = [
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ]
        if self.tool_calls:
            output = [
                {
                    "id": "fc_1",
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "lookup",
                    "arguments": "{}",
                    "status": "completed",
                }
            ]
        return {
            "id": f"resp_{len(self.requests)}",
            "object": "response",
            "created_at": 1_700_000_000,
            "model": body.get("model", "") + "-2024",
            "status": "completed" if self.finish_reason == "stop" else "incomplete",
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": dict(RESPONSES_USAGE),
        }

    def responses_sse(self, response: dict[str, Any]) -> bytes:
        from semroute.integrations.openai._objects import response_events

        events = response_events(response)
        if self.abort_stream:
            events = events[:3]
        return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()

    # -- transports ----------------------------------------------------------------------------

    def handler(self, request: Any) -> Any:
        body = json.loads(request.content or b"{}")
        status, kind, payload = self.answer(request.url.path, body)
        return HTTPX.Response(status, headers={"content-type": kind}, content=payload)

    def client(self, *, is_async: bool = False, **kwargs: Any) -> Any:
        """An ``OpenAI`` (or ``AsyncOpenAI``) client answering from this fake, in process."""
        transport = HTTPX.MockTransport(self.handler)
        if is_async:
            http = HTTPX.AsyncClient(transport=transport)
            return openai.AsyncOpenAI(
                api_key="test",
                base_url="http://fake.test/v1",
                http_client=http,
                max_retries=0,
                **kwargs,
            )
        http = HTTPX.Client(transport=transport)
        return openai.OpenAI(
            api_key="test",
            base_url="http://fake.test/v1",
            http_client=http,
            max_retries=0,
            **kwargs,
        )


class LocalServer:
    """The fake API over real HTTP on 127.0.0.1 (a thread; ``with`` starts and stops it)."""

    def __init__(self, api: FakeAPI) -> None:
        fake = api

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                # Headers and body go out in two writes: without TCP_NODELAY, Nagle's
                # algorithm meets the client's delayed ACK and a response can wait ~40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().setup()

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, kind, payload = fake.answer(self.path, body)
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()
