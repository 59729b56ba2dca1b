#!/usr/bin/env python3
"""A tiny, deterministic OpenAI-compatible model server for the local Letta stack.

Letta needs a language model and an embedding model to run an agent. The real ones need the internet and
a paid key, so the local stack (scripts/letta) points Letta at this stub instead. It implements the three
calls Letta makes against an "openai" endpoint:

  GET  /v1/models             the model list (Letta's provider listing)
  POST /v1/chat/completions   answers every turn with a call of the `send_message` tool whose message
                              names the task, so an agent "replies" offline; plain content when the request
                              offers no send_message tool (e.g. summaries); `stream: true` is answered as SSE
  POST /v1/embeddings         deterministic unit vectors (float or base64), derived from a hash of the text

Failure injection, for the blocked-path tests: a latest user message that contains FAIL_MODEL makes
/v1/chat/completions answer HTTP 500 (an OpenAI-shaped error body). A latest user message that contains
DELAY_MODEL=<seconds> (e.g. DELAY_MODEL=2.5) holds the answer that long (at most 600 s), so a test can kill
something while a turn runs. GET /health answers {"status": "ok"}.

Standard library only, so it runs under any python3 (the Letta venv or the system one).
Environment: MODEL_STUB_HOST (127.0.0.1), MODEL_STUB_PORT (8299), MODEL_STUB_MODEL (stub-model),
MODEL_STUB_EMBEDDING_MODEL (stub-embedding), MODEL_STUB_EMBEDDING_DIM (1536),
MODEL_STUB_LOG_BODIES (1: log every request body, for debugging what Letta sends).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAIL_MARKER = "FAIL_MODEL"
DELAY_PATTERN = re.compile(r"DELAY_MODEL=([0-9]+(?:\.[0-9]+)?)")
MAX_DELAY_SECONDS = 600.0
REPLY_PREFIX = "Task accepted by the stub model: "
MAX_ECHO_CHARS = 400


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


class Settings:
    """Process-wide settings read once from the environment."""

    host = os.environ.get("MODEL_STUB_HOST", "127.0.0.1")
    port = env_int("MODEL_STUB_PORT", 8299)
    chat_model = os.environ.get("MODEL_STUB_MODEL", "stub-model")
    embedding_model = os.environ.get("MODEL_STUB_EMBEDDING_MODEL", "stub-embedding")
    embedding_dim = env_int("MODEL_STUB_EMBEDDING_DIM", 1536)
    context_window = env_int("MODEL_STUB_CONTEXT_WINDOW", 32000)
    log_bodies = os.environ.get("MODEL_STUB_LOG_BODIES", "") == "1"


# ---------------------------------------------------------------------------------------------------------
# Pure logic (unit-tested in test_model_stub.py)
# ---------------------------------------------------------------------------------------------------------


def content_text(content: Any) -> str:
    """The text of an OpenAI message `content`, which is a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    return ""


def unwrap_letta_user_text(text: str) -> str:
    """Letta may wrap a user message as JSON ({"type": "user_message", "message": ...}); take the message."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            decoded = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            return decoded["message"].strip()
    return stripped


def last_user_text(messages: list[Any]) -> str:
    """The latest user message that carries text, unwrapped; empty when there is none."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = unwrap_letta_user_text(content_text(message.get("content")))
            if text:
                return text
    return ""


def reply_for(task_text: str) -> str:
    """The deterministic answer to a task: it names the task so tests can match it."""
    one_line = " ".join(task_text.split())
    if len(one_line) > MAX_ECHO_CHARS:
        one_line = one_line[:MAX_ECHO_CHARS] + "…"
    return REPLY_PREFIX + (one_line or "(no task text)")


def tool_function(tool: Any) -> dict[str, Any] | None:
    """The `function` object of a tool in either the `tools` or the legacy `functions` shape."""
    if isinstance(tool, dict):
        if isinstance(tool.get("function"), dict):
            return tool["function"]
        if isinstance(tool.get("name"), str):
            return tool
    return None


def find_tool(request: dict[str, Any], name: str) -> dict[str, Any] | None:
    for tool in (request.get("tools") or []) + (request.get("functions") or []):
        function = tool_function(tool)
        if function is not None and function.get("name") == name:
            return function
    return None


def placeholder(schema: Any, name: str, reply: str) -> Any:
    """A value for a required tool argument other than `message`, matching its JSON Schema type."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 0
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if name in ("thinking", "inner_thoughts"):
        return "The user handed me a task; I acknowledge it with send_message."
    return reply


def send_message_arguments(function: dict[str, Any], reply: str) -> dict[str, Any]:
    """Arguments for send_message: `message` is the reply; other required arguments get typed placeholders."""
    parameters = function.get("parameters") if isinstance(function.get("parameters"), dict) else {}
    properties = parameters.get("properties") if isinstance(parameters.get("properties"), dict) else {}
    required = parameters.get("required") if isinstance(parameters.get("required"), list) else []
    arguments: dict[str, Any] = {}
    for name in required:
        if name != "message":
            arguments[name] = placeholder(properties.get(name), name, reply)
    if "request_heartbeat" in properties:
        # Ask for no further step: the reply is final.
        arguments["request_heartbeat"] = False
    arguments["message"] = reply
    return arguments


def rough_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def prompt_tokens(request: dict[str, Any]) -> int:
    total = 0
    for message in request.get("messages") or []:
        if isinstance(message, dict):
            total += rough_tokens(content_text(message.get("content")))
    return total


def requested_delay(request: dict[str, Any]) -> float:
    """Seconds the latest user message asks the answer to be held (DELAY_MODEL=<seconds>), 0 when none."""
    match = DELAY_PATTERN.search(last_user_text(request.get("messages") or []))
    if match is None:
        return 0.0
    return min(float(match.group(1)), MAX_DELAY_SECONDS)


class ModelFailure(Exception):
    """A failure the request asked for (FAIL_MODEL), answered as HTTP 500."""


def chat_completion(request: dict[str, Any], now: int | None = None) -> dict[str, Any]:
    """The full (non-streamed) chat completion for a request; raises ModelFailure on FAIL_MODEL."""
    messages = request.get("messages") or []
    task = last_user_text(messages)
    if FAIL_MARKER in task:
        raise ModelFailure(f"stub model failure requested by {FAIL_MARKER} in the task")
    reply = reply_for(task)
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()
    created = int(time.time()) if now is None else now
    send_message = find_tool(request, "send_message")
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if send_message is not None and request.get("tool_choice") != "none":
        arguments = json.dumps(send_message_arguments(send_message, reply))
        message["tool_calls"] = [
            {
                "id": "call_" + digest[:24],
                "type": "function",
                "function": {"name": "send_message", "arguments": arguments},
            }
        ]
        finish_reason = "tool_calls"
        completion = arguments
    else:
        message["content"] = reply
        finish_reason = "stop"
        completion = reply
    prompt = prompt_tokens(request)
    completion_count = rough_tokens(completion)
    return {
        "id": "chatcmpl-" + digest[:24],
        "object": "chat.completion",
        "created": created,
        "model": request.get("model") or Settings.chat_model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion_count,
            "total_tokens": prompt + completion_count,
        },
        "system_fingerprint": "model-stub",
    }


def stream_chunks(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """The SSE chunks of a completion: role, then the content or the whole tool call, then the finish."""
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    choice = completion["choices"][0]
    message = choice["message"]
    delta: dict[str, Any] = {"role": "assistant"}
    if message.get("tool_calls"):
        delta["content"] = None
        delta["tool_calls"] = [dict(call, index=i) for i, call in enumerate(message["tool_calls"])]
    else:
        delta["content"] = message.get("content") or ""
    return [
        dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": None}]),
        dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]),
        dict(base, choices=[], usage=completion["usage"]),
    ]


def embedding_vector(text: str, dimension: int) -> list[float]:
    """A unit vector derived from SHA-256 of the text in counter mode: same text, same vector."""
    values: list[float] = []
    counter = 0
    while len(values) < dimension:
        block = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for offset in range(0, len(block), 4):
            (word,) = struct.unpack_from("<I", block, offset)
            values.append(word / 0xFFFFFFFF * 2.0 - 1.0)
        counter += 1
    values = values[:dimension]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def embeddings(request: dict[str, Any]) -> dict[str, Any]:
    raw = request.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    dimension = request.get("dimensions")
    if dimension is None:
        dimension = Settings.embedding_dim
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension <= 0:
        raise ValueError("dimensions must be a positive integer")
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    total = 0
    for index, item in enumerate(inputs):
        # Token-id input (a list of ints) is hashed by its JSON text.
        text = item if isinstance(item, str) else json.dumps(item)
        total += rough_tokens(text)
        vector = embedding_vector(text, dimension)
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": request.get("model") or Settings.embedding_model,
        "usage": {"prompt_tokens": total, "total_tokens": total},
    }


def models() -> dict[str, Any]:
    entries = [
        {"id": Settings.chat_model, "context_window": Settings.context_window},
        {"id": Settings.embedding_model},
    ]
    return {
        "object": "list",
        "data": [dict(entry, object="model", created=0, owned_by="model-stub") for entry in entries],
    }


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# ---------------------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "model-stub/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {format % args}\n")

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if Settings.log_bodies:
            sys.stderr.write(f"--- {self.command} {self.path} body:\n{raw.decode(errors='replace')}\n")
        decoded = json.loads(raw or b"{}")
        if not isinstance(decoded, dict):
            raise ValueError("the request body must be a JSON object")
        return decoded

    def route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        # Accept both /v1/x and /x, whichever base URL the client was given.
        return path[3:] if path.startswith("/v1/") else path

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        route = self.route()
        if route == "/health":
            self.send_json(200, {"status": "ok"})
        elif route == "/models":
            self.send_json(200, models())
        elif route.startswith("/models/"):
            model_id = route[len("/models/") :]
            self.send_json(200, {"id": model_id, "object": "model", "created": 0, "owned_by": "model-stub"})
        else:
            self.send_json(404, error_body(f"no route GET {self.path}", "invalid_request_error"))

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        route = self.route()
        try:
            request = self.read_json()
        except ValueError as error:
            self.send_json(400, error_body(f"invalid JSON body: {error}", "invalid_request_error"))
            return
        try:
            if route == "/chat/completions":
                delay = requested_delay(request)
                if delay > 0:
                    time.sleep(delay)
                completion = chat_completion(request)
                if request.get("stream"):
                    self.send_stream(completion)
                else:
                    self.send_json(200, completion)
            elif route == "/embeddings":
                self.send_json(200, embeddings(request))
            else:
                self.send_json(404, error_body(f"no route POST {self.path}", "invalid_request_error"))
        except ModelFailure as failure:
            self.send_json(500, error_body(str(failure), "server_error", "stub_failure"))
        except ValueError as error:
            self.send_json(400, error_body(str(error), "invalid_request_error"))

    def send_stream(self, completion: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in stream_chunks(completion):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def main() -> None:
    server = ThreadingHTTPServer((Settings.host, Settings.port), Handler)
    server.daemon_threads = True
    sys.stderr.write(
        f"model-stub listening on http://{Settings.host}:{Settings.port}/v1 "
        f"(chat model {Settings.chat_model}, embedding model {Settings.embedding_model}, "
        f"dimension {Settings.embedding_dim})\n"
    )
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
