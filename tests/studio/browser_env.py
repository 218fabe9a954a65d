"""The pieces the browser tests stand on: kinema served by uvicorn in a thread, a second
loopback origin for the embed page, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def kinema_server(settings, port: int, *, run_tasks: bool = True) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import uvicorn

    from kinema.api.app import create_app

    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(20)


@contextlib.contextmanager
def static_site(directory: Path, port: int) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# JavaScript run in the page: how much the mouth region of a <video> changes over ``ms``.
MOUTH_MOTION_JS = """
async ([video, ms]) => {
  const c = document.createElement("canvas");
  const w = c.width = video.videoWidth, h = c.height = video.videoHeight;
  const g = c.getContext("2d", { willReadFrequently: true });
  const region = () => {
    g.drawImage(video, 0, 0, w, h);
    const x = Math.round(w * 0.3), y = Math.round(h * 0.55);
    return g.getImageData(x, y, Math.round(w * 0.4), Math.round(h * 0.3)).data;
  };
  let prev = region(), maxDiff = 0, frames = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 60));
    const cur = region();
    let sum = 0;
    for (let i = 0; i < cur.length; i += 4) {
      sum += Math.abs(cur[i] - prev[i]) + Math.abs(cur[i + 1] - prev[i + 1]);
    }
    maxDiff = Math.max(maxDiff, sum / (cur.length / 4));
    prev = cur; frames++;
  }
  return { maxDiff, frames, w, h };
}
"""
