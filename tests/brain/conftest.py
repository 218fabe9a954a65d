"""A fake OpenAI-compatible chat server on loopback that speaks the streaming (SSE) protocol.

The model name picks the behaviour: ``ok`` streams ``FakeLLM.script`` with pauses, ``hang``
answers too late, ``http500`` fails, ``malformed`` sends broken JSON, ``partial`` breaks the
stream after one sentence, ``think`` wraps a reasoning block around the answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class FakeLLM:
    url: str
    script: list[str] = field(default_factory=list)
    pause: float = 0.0  # seconds between chunks
    requests: list[dict] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)  # when each stream's last byte left


def _chunk(content: str) -> bytes:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _make_handler(state: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _sse_head(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()

        def _send(self, data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            mode = body["model"]
            try:
                if mode == "hang":
                    time.sleep(3)
                    self._sse_head()
                    self._send(_chunk("Too late."))
                elif mode == "http500":
                    payload = b'{"error": {"message": "boom", "type": "server_error"}}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self._send(payload)
                elif mode == "malformed":
                    self._sse_head()
                    self._send(b"data: {this is not json\n\n")
                elif mode == "partial":
                    self._sse_head()
                    self._send(_chunk("The first sentence arrives. "))
                    self._send(_chunk("And then the"))
                    self._send(b"data: {broken\n\n")
                else:
                    self._sse_head()
                    for piece in state.script:
                        self._send(_chunk(piece))
                        time.sleep(state.pause)
                    # stamped before [DONE] goes out: the client may finish reading and check
                    # the stamp before this thread runs again
                    state.finished_at.append(time.monotonic())
                    self._send(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture()
def fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
