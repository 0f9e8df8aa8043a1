"""A scriptable stand-in for the providers' HTTP APIs, good enough for their real SDKs.

One server speaks all four wire protocols, each on its own paths:

- Anthropic Messages: ``POST /v1/messages``
- OpenAI chat completions: ``POST <any base path>/chat/completions``
- Ollama: ``GET /api/tags`` and ``POST /api/chat``
- Gemini: ``POST <any base path>/models/<model>:generateContent``

Tests script the next answers (`reply_with`, `reply_with_json`, `fail_with`, `reply_slowly`,
`reply_with_prose`) and read back what arrived in `requests`, including the schema each
request asked its provider to hold the answer to (`RecordedRequest.draft_schema`). Error
bodies quote the credential the request carried, as careless servers and proxies do, so
tests can prove adapters never repeat it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROSE_WITHOUT_JSON = "I looked at the room for a long time, but I would rather not draw today."


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def credential(self) -> str:
        """The key the request carried: Anthropic's x-api-key header, Gemini's
        x-goog-api-key header or a bearer token."""
        for header in ("x-api-key", "x-goog-api-key"):
            if header in self.headers:
                return self.headers[header]
        return self.headers.get("authorization", "").removeprefix("Bearer ")

    def model(self) -> str:
        """The model asked for: in the body, or in Gemini's path."""
        if "model" in self.body:
            return self.body["model"]
        return self.path.rsplit("/", 1)[-1].removesuffix(":generateContent")

    def system_prompt(self) -> str:
        if "systemInstruction" in self.body:
            return "".join(part["text"] for part in self.body["systemInstruction"]["parts"])
        if "system" in self.body:
            return self.body["system"]
        return next(m["content"] for m in self.body["messages"] if m["role"] == "system")

    def user_prompt(self) -> str:
        if "contents" in self.body:
            return "".join(part["text"] for part in self.body["contents"][0]["parts"])
        return next(m["content"] for m in self.body["messages"] if m["role"] == "user")

    def draft_schema(self) -> tuple[str, dict] | None:
        """The (name, JSON schema) the request told its provider to hold the answer to, in
        that provider's own way, or None when it asked for no schema."""
        body = self.body
        if "tools" in body:  # Anthropic: one tool, forced
            (tool,) = body["tools"]
            assert body["tool_choice"] == {"type": "tool", "name": tool["name"]}
            return tool["name"], tool["input_schema"]
        response_format = body.get("response_format")
        if response_format:  # OpenAI and OpenRouter
            assert response_format["type"] == "json_schema"
            assert response_format["json_schema"]["strict"] is True
            return response_format["json_schema"]["name"], response_format["json_schema"]["schema"]
        if isinstance(body.get("format"), dict):  # Ollama
            return "", body["format"]
        config = body.get("generationConfig", {})
        if "responseJsonSchema" in config:  # Gemini
            assert config["responseMimeType"] == "application/json"
            return "", config["responseJsonSchema"]
        return None


@dataclass
class _Script:
    text: str = ""
    input_tokens: int = 11
    output_tokens: int = 22
    status: int = 200
    delay: float = 0.0
    # The answer as a JSON object, for providers that hand it over decoded (a tool call).
    data: dict | None = None
    # Gemini's reason for an error (e.g. API_KEY_INVALID, which comes with a 400).
    reason: str = ""


@dataclass
class StubServer:
    """Start with `with StubServer() as stub:`; `stub.url` is its base URL."""

    # What GET /api/tags lists.
    ollama_models: list[str] = field(default_factory=lambda: ["llama3.2:latest"])
    # An OpenAI-compatible server without JSON-schema answers: it refuses requests for one.
    refuses_json_schema: bool = False
    requests: list[RecordedRequest] = field(default_factory=list)
    script: _Script = field(default_factory=_Script)

    def __enter__(self) -> StubServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        # A short poll interval, because shutdown() waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host_port(self) -> str:
        return self.url.removeprefix("http://")

    def reply_with(self, text: str, *, input_tokens: int = 11, output_tokens: int = 22) -> None:
        self.script = _Script(text=text, input_tokens=input_tokens, output_tokens=output_tokens)

    def reply_with_json(self, data: dict) -> None:
        """Answer with exactly this object: what a provider's structured output returns."""
        self.script = _Script(text=json.dumps(data), data=data)

    def fail_with(self, status: int, *, reason: str = "") -> None:
        self.script = _Script(status=status, reason=reason)

    def reply_slowly(self, text: str, seconds: float) -> None:
        self.script = _Script(text=text, delay=seconds)

    def reply_with_prose(self) -> None:
        self.script = _Script(text=PROSE_WITHOUT_JSON)

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]


class _Server(ThreadingHTTPServer):
    # A slow reply still sleeping must not hold up the end of a test.
    daemon_threads = True
    stub: StubServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that time out hang up on slow replies; that is expected, not noise."""


_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows stderr of failing tests, and request lines are no help."""

    def do_GET(self) -> None:
        self._record(None)
        if self.path == "/api/tags":
            models = [
                {"name": name, "model": name, "size": 1, "digest": "0" * 64}
                for name in self.server.stub.ollama_models
            ]
            self._send(200, {"models": models})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        request = self._record(json.loads(self.rfile.read(length) or b"null"))
        script = self.server.stub.script
        if script.delay:
            time.sleep(script.delay)
        if self.path.endswith("/v1/messages"):
            protocol = _ANTHROPIC
        elif self.path.endswith("/chat/completions"):
            protocol = _OPENAI
        elif self.path == "/api/chat":
            protocol = _OLLAMA
        elif self.path.endswith(":generateContent"):
            protocol = _GEMINI
        else:
            self._send(404, {"error": "not found"})
            return
        if protocol is _OPENAI and self.server.stub.refuses_json_schema and request.draft_schema():
            self._send(400, _openai_error(400, "response_format type json_schema is unsupported"))
        elif script.status != 200:
            message = f"stub failure {script.status}; the request carried {request.credential()!r}"
            self._send(script.status, protocol.error(script.status, message, script.reason))
        else:
            self._send(200, protocol.success(request, script))

    def _record(self, body: Any) -> RecordedRequest:
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        self.server.stub.requests.append(request)
        return request

    def _send(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up waiting (a timeout test)


def _anthropic_success(request: RecordedRequest, script: _Script) -> dict:
    if script.data is not None and "tools" in request.body:
        name = request.body["tools"][0]["name"]
        content = [{"type": "tool_use", "id": "toolu_stub", "name": name, "input": script.data}]
        stop_reason = "tool_use"
    else:
        content = [{"type": "text", "text": script.text}]
        stop_reason = "end_turn"
    return {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": request.body["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": script.input_tokens, "output_tokens": script.output_tokens},
    }


def _anthropic_error(status: int, message: str, reason: str = "") -> dict:
    kind = _ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def _openai_success(request: RecordedRequest, script: _Script) -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": script.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": script.input_tokens,
            "completion_tokens": script.output_tokens,
            "total_tokens": script.input_tokens + script.output_tokens,
        },
    }


def _openai_error(status: int, message: str, reason: str = "") -> dict:
    kind = _ERROR_TYPES.get(status, "api_error")
    return {"error": {"message": message, "type": kind, "code": None, "param": None}}


def _ollama_success(request: RecordedRequest, script: _Script) -> dict:
    return {
        "model": request.body["model"],
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": script.text},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": script.input_tokens,
        "eval_count": script.output_tokens,
    }


def _ollama_error(status: int, message: str, reason: str = "") -> dict:
    return {"error": message}


def _gemini_success(request: RecordedRequest, script: _Script) -> dict:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": script.text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": script.input_tokens,
            "candidatesTokenCount": script.output_tokens,
            "totalTokenCount": script.input_tokens + script.output_tokens,
        },
        "modelVersion": request.model(),
    }


_GEMINI_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    429: "RESOURCE_EXHAUSTED",
}


def _gemini_error(status: int, message: str, reason: str = "") -> dict:
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": _GEMINI_STATUSES.get(status, "INTERNAL"),
    }
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return {"error": error}


@dataclass(frozen=True)
class _Protocol:
    success: Callable[[RecordedRequest, _Script], dict]
    error: Callable[[int, str, str], dict]


_ANTHROPIC = _Protocol(_anthropic_success, _anthropic_error)
_OPENAI = _Protocol(_openai_success, _openai_error)
_OLLAMA = _Protocol(_ollama_success, _ollama_error)
_GEMINI = _Protocol(_gemini_success, _gemini_error)
