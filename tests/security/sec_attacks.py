"""The three heavy inputs of the hardening issue, and a real server to measure them against.

``ThreadServer`` runs the app under uvicorn on its own event loop in a thread, with a ticker
coroutine on that loop; ``measure(call)`` resets the process's peak RSS (``clear_refs``), runs
``call`` and returns the loop's longest stall and the peak RSS growth during it. Used by
``test_security_stalls.py`` and ``bench/hardening.py``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import socket
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import av
import httpx
import numpy as np

V = {"X-Runway-Version": "2024-11-06"}
_CT = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"/>'
)


def docx_bomb(inflated: int) -> bytes:
    """A DOCX-shaped zip whose word/document.xml inflates to ``inflated`` bytes of spaces."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            block = b" " * (1 << 24)
            for _ in range(inflated >> 24):
                part.write(block)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 7000, height: int = 5700) -> bytes:
    """A complete, valid PNG of ``width``×``height`` black pixels (~120 KB on the wire, 120 MB
    of pixels decoded), compressed row by row so building it costs no memory."""
    comp = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 3)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def long_flac(seconds: int, rate: int = 8000) -> bytes:
    """``seconds`` of silence as FLAC (an hour is ~0.5 MB)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="flac") as out:
        st = out.add_stream("flac", rate=rate, layout="mono")
        block = np.zeros((1, rate * 10), np.int16)
        for i in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, i * rate * 10
            for pkt in st.encode(frame):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    return buf.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@dataclass
class Attack:
    name: str
    send: Callable[[httpx.Client, dict[str, str]], httpx.Response]
    field: str  # the field the 4xx must name


def attacks(docx_inflated: int = 256 << 20) -> list[Attack]:
    docx = docx_bomb(docx_inflated)
    png = png_bomb()
    flac = long_flac(3600)

    def send_docx(c: httpx.Client, h: dict[str, str]) -> httpx.Response:
        files = {"file": ("bomb.docx", docx, "application/octet-stream")}
        return c.post("/v1/documents/upload", headers=h, files=files)

    def send_png(c: httpx.Client, h: dict[str, str]) -> httpx.Response:
        body = {
            "model": "gen4_turbo",
            "promptImage": data_uri(png, "image/png"),
            "promptText": "x",
            "ratio": "960:960",
            "duration": 2,
        }
        return c.post("/v1/image_to_video", headers=h, json=body)

    def send_flac(c: httpx.Client, h: dict[str, str]) -> httpx.Response:
        body = {
            "name": "hour",
            "from": {"type": "audio", "audio": data_uri(flac, "audio/flac")},
            "consent": {"confirmed": True, "statement": "I agree.", "by": "Tester"},
        }
        return c.post("/v1/voices", headers=h, json=body)

    return [
        Attack(f"DOCX bomb ({len(docx) >> 10} KB → {docx_inflated >> 20} MiB)", send_docx, "file"),
        Attack(f"image bomb (7000x5700 PNG, {len(png) >> 10} KB)", send_png, "promptImage"),
        Attack(f"1 h FLAC of silence ({len(flac) >> 10} KB)", send_flac, "from.audio"),
    ]


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        text = f.read()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1))  # type: ignore[union-attr]


def reset_peak_rss() -> int:
    """Reset this process's peak RSS (VmHWM) to its current RSS; returns that RSS in KB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kb("VmRSS")


def peak_rss_kb() -> int:
    return _status_kb("VmHWM")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """uvicorn on a loop of its own in a thread, with a 5 ms ticker on that loop."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.worst = 0.0
        self.ticks = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        ticker = self.loop.create_task(self._ticker())
        try:
            self.loop.run_until_complete(self.server.serve())
        finally:
            ticker.cancel()
            self.loop.run_until_complete(asyncio.gather(ticker, return_exceptions=True))
            self.loop.close()

    async def _ticker(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.005)
            self.ticks += 1
            last = now

    def start(self) -> ThreadServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(15)

    def measure(self, call: Callable[[], Any]) -> tuple[Any, float, float]:
        """``(result, longest loop stall in ms, peak RSS growth in MB)`` while ``call`` runs."""
        time.sleep(0.05)
        base = reset_peak_rss()
        self.worst, ticks = 0.0, self.ticks
        result = call()
        time.sleep(0.02)  # a tick after the answer
        stall = self.worst * 1000
        grown = (peak_rss_kb() - base) / 1024
        if self.ticks == ticks:
            raise RuntimeError("the ticker did not run")
        return result, stall, grown


@contextmanager
def thread_server(app: Any) -> Iterator[ThreadServer]:
    srv = ThreadServer(app).start()
    try:
        yield srv
    finally:
        srv.stop()
