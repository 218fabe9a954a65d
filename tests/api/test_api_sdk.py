"""The official ``runwayml`` SDK against a real ``kinema serve`` (slow: SDK waits poll ~6 s)."""

from __future__ import annotations

import base64
import io
import sqlite3
import time

import av
import httpx
import pytest
import runwayml
from api_helpers import png_bytes
from PIL import Image
from server_proc import Server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("sdk_home")
    srv = Server(home, KINEMA_BLOCKED_TERMS='["forbiddenword"]').start()
    deadline = time.monotonic() + 5
    while srv.key is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.key, "serve did not print the first key"
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    # strict: every response must match the SDK's schemas exactly (required fields present)
    return runwayml.RunwayML(
        api_key=server.key, base_url=server.url, _strict_response_validation=True
    )


def test_banner_prints_urls_and_key_once(server):
    text = "\n".join(server.lines)
    assert f"{server.url}/docs" in text and f"{server.url}/studio" in text
    assert sum(server.key in line for line in server.lines) == 1


def test_upload_image_to_video_and_download(server, client, tmp_path):
    before = client.organization.retrieve().credit_balance
    image = tmp_path / "astronaut.png"
    image.write_bytes(png_bytes(512, 512))
    upload = client.uploads.create_ephemeral(file=image)
    assert upload.uri.startswith("runway://")
    task = client.image_to_video.create(
        model="gen4_turbo",
        prompt_image=upload.uri,
        prompt_text="a slow zoom, soft light",
        ratio="960:960",
        duration=2,
    )
    assert task.estimated_cost.credits == 10
    done = task.wait_for_task_output(timeout=120)
    assert done.status == "SUCCEEDED" and done.cost.credits == 10
    video = tmp_path / "out.mp4"
    video.write_bytes(httpx.get(done.output[0], timeout=30).content)
    with av.open(str(video)) as c:
        vs = c.streams.video[0]
        frames = sum(1 for _ in c.decode(vs))
        assert vs.codec_context.name == "h264" and float(vs.average_rate) == 24
        assert (vs.codec_context.width, vs.codec_context.height) == (960, 960)
    assert abs(frames - 48) <= 1
    assert client.organization.retrieve().credit_balance == before - 10
    usage = client.organization.retrieve_usage()
    assert any(
        u.model == "gen4_turbo" and u.amount == 10
        for day in usage.results
        for u in day.used_credits
    )


def test_engine_refusal_raises_task_failed(client):
    task = client.text_to_video.create(
        model="gen4.5", prompt_text="a forbiddenword scene", ratio="1280:720", duration=2
    )
    with pytest.raises(runwayml.TaskFailedError) as err:
        task.wait_for_task_output(timeout=120)
    details = err.value.task_details
    assert details.failure_code == "SAFETY.INPUT.TEXT" and "moderation" in details.failure
    assert details.cost.credits == 0


def test_delete_running_task_cancels_and_refunds(server, client):
    before = client.organization.retrieve().credit_balance
    task = client.text_to_video.create(
        model="gen4.5", prompt_text="rain over a harbour", ratio="1280:720", duration=10
    )
    assert client.organization.retrieve().credit_balance == before - 120
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        t = client.tasks.retrieve(task.id)
        if t.status == "RUNNING" and t.progress > 0:
            break
        time.sleep(0.2)
    assert t.status == "RUNNING"
    client.tasks.delete(task.id)
    t = client.tasks.retrieve(task.id)
    assert t.status == "CANCELLED" and t.cost.credits == 0
    assert client.organization.retrieve().credit_balance == before
    time.sleep(1.0)  # the worker is gone: progress no longer moves, no output appears
    with sqlite3.connect(server.home / "kinema.db") as db:
        progress, outputs = db.execute(
            "select progress, outputs from tasks where id=?", (task.id,)
        ).fetchone()
    time.sleep(0.6)
    with sqlite3.connect(server.home / "kinema.db") as db:
        assert (
            db.execute("select progress from tasks where id=?", (task.id,)).fetchone()[0]
            == progress
        )
    assert outputs is None


def test_errors_are_the_sdks_named_exceptions(server, client):
    strict = client.with_options(max_retries=0)
    with pytest.raises(runwayml.AuthenticationError):
        runwayml.RunwayML(
            api_key="key_" + "0" * 128, base_url=server.url, max_retries=0
        ).organization.retrieve()
    with pytest.raises(runwayml.BadRequestError, match="ratio"):
        strict.image_to_video.create(
            model="gen4_turbo", prompt_image="https://x.invalid/a.png", ratio="1000:1000"
        )
    with pytest.raises(runwayml.NotFoundError):
        strict.tasks.retrieve("00000000-0000-4000-8000-000000000000")
    with sqlite3.connect(server.home / "kinema.db") as db:
        db.execute("update organizations set max_daily_tasks = 1")
    try:
        with pytest.raises(runwayml.RateLimitError) as err:
            strict.text_to_video.create(
                model="gen4.5", prompt_text="x", ratio="1280:720", duration=2
            )
        assert int(err.value.response.headers["retry-after"]) > 0
    finally:
        with sqlite3.connect(server.home / "kinema.db") as db:
            db.execute("update organizations set max_daily_tasks = null")


def poll(server, path, headers, *, done=("SUCCEEDED", "FAILED", "CANCELLED"), key="status"):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = httpx.get(server.url + path, headers=headers, timeout=10).json()
        if body[key] in done:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{path} did not finish: {body}")


def test_text_to_image_and_gen4_shape_through_the_engine(server, tmp_path):
    h = {"Authorization": f"Bearer {server.key}", "X-Runway-Version": "2024-11-06"}
    image = "data:image/png;base64," + base64.b64encode(png_bytes(256, 256)).decode()
    r = httpx.post(
        f"{server.url}/v1/text_to_image",
        headers=h,
        json={
            "model": "gen4_image_turbo",
            "promptText": "@hero on a beach at dusk",
            "ratio": "1360:768",
            "referenceImages": [{"uri": image, "tag": "hero"}],
        },
    )
    assert r.status_code == 200, r.text
    still = poll(server, f"/v1/tasks/{r.json()['id']}", h)
    assert still["status"] == "SUCCEEDED" and still["cost"] == {"credits": 2}
    png = httpx.get(still["output"][0]).content
    assert Image.open(io.BytesIO(png)).size == (1360, 768)
    r = httpx.post(
        f"{server.url}/v1/gen4",
        headers={"Authorization": h["Authorization"]},
        json={
            "prompt": "@hero walks through rain",
            "model": "gen4-turbo",
            "duration": 2,
            "fps": 12,
            "ratio": "960:960",
            "visual_references": [{"image_url": image, "type": "character"}],
        },
    )
    assert r.status_code == 200, r.text
    simple = poll(server, f"/v1/gen4/tasks/{r.json()['id']}", h, done=("SUCCEEDED", "FAILED"))
    assert simple["status"] == "SUCCEEDED" and simple["progress"] == 100.0
    assert simple["credits_used"] == 10 and simple["failure_reason"] is None
    video = tmp_path / "simple.mp4"
    video.write_bytes(httpx.get(simple["output"]["url"]).content)
    with av.open(str(video)) as c:
        vs = c.streams.video[0]
        assert float(vs.average_rate) == 12 and sum(1 for _ in c.decode(vs)) in (23, 24, 25)


def test_url_inputs_are_fetched_with_the_rules(server):
    """Media URLs (this server allows loopback + http for the test): good, redirect, type."""
    import http.server
    import threading

    png = png_bytes(128, 128)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/redirect.png":
                self.send_response(302)
                self.send_header("Location", "/a.png")
                self.end_headers()
                return
            self.send_response(200)
            ctype = "application/octet-stream" if self.path == "/blob.png" else "image/png"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    media = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=media.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{media.server_address[1]}"
    h = {"Authorization": f"Bearer {server.key}", "X-Runway-Version": "2024-11-06"}

    def create(path: str) -> httpx.Response:
        return httpx.post(
            f"{server.url}/v1/image_to_video",
            headers=h,
            timeout=30,
            json={
                "model": "gen4_turbo",
                "promptImage": base + path,
                "ratio": "960:960",
                "duration": 2,
            },
        )

    try:
        ok = create("/a.png")
        assert ok.status_code == 200, ok.text
        httpx.delete(f"{server.url}/v1/tasks/{ok.json()['id']}", headers=h)
        r = create("/redirect.png")
        assert r.status_code == 400 and "redirect" in r.json()["error"]
        r = create("/blob.png")
        assert r.status_code == 400 and "octet-stream" in r.json()["error"]
    finally:
        media.shutdown()


def test_keys_created_by_the_cli_work_on_a_running_server(server):
    key = server.cli("keys", "create", "--org", "second").strip().splitlines()[-1]
    org = runwayml.RunwayML(api_key=key, base_url=server.url).organization.retrieve()
    assert org.credit_balance == 1000
    server.cli("credits", "add", "second", "25")
    org = runwayml.RunwayML(api_key=key, base_url=server.url).organization.retrieve()
    assert org.credit_balance == 1025
    server.cli("keys", "revoke", key)
    with pytest.raises(runwayml.AuthenticationError, match="revoked"):
        runwayml.RunwayML(api_key=key, base_url=server.url).organization.retrieve()


def test_video_to_video_gen4_aleph_through_the_sdk(server, client, tmp_path):
    """SDK 5.24 still sends ``gen4_aleph`` (its types only list aleph2): upload a clip, edit it."""
    import numpy as np
    from skimage import data as skdata

    from kinema.media.video import VideoWriter, probe

    clip = tmp_path / "clip.mp4"
    base = np.ascontiguousarray(skdata.astronaut()[::4, ::2][:120])
    with VideoWriter(clip, 160, 120, 24) as w:
        for i in range(24):
            w.write(np.ascontiguousarray(base[:, i : i + 160]))
    before = client.organization.retrieve().credit_balance
    upload = client.uploads.create_ephemeral(file=clip)
    task = client.video_to_video.create(
        model="gen4_aleph", video_uri=upload.uri, prompt_text="night, snow", ratio="640:480"
    )
    done = client.tasks.retrieve(task.id).wait_for_task_output(timeout=120)
    assert done.status == "SUCCEEDED" and done.cost.credits == 15  # 1 s x 15 credits/s
    out = tmp_path / "out.mp4"
    out.write_bytes(httpx.get(done.output[0], timeout=30).content)
    info = probe(out)
    assert (info.codec, info.width, info.height, info.frames) == ("h264", 640, 480, 24)
    assert client.organization.retrieve().credit_balance == before - 15
    typed = client.video_to_video.create(model="aleph2", video_uri=upload.uri)  # SDK 5.x's type
    assert typed.wait_for_task_output(timeout=120).cost.credits == 15


def test_api_answers_while_two_renders_run(server, client):
    """Renders run in worker processes: with both workers busy the API still answers at once."""
    before = client.organization.retrieve().credit_balance
    ids = [
        client.text_to_video.create(
            model="gen4.5", prompt_text=f"rain over a harbour {n}", ratio="1280:720", duration=10
        ).id
        for n in range(2)
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [client.tasks.retrieve(i) for i in ids]
        if all(t.status == "RUNNING" and t.progress > 0 for t in states):
            break
        time.sleep(0.1)
    assert all(t.status == "RUNNING" for t in states)
    waits = []
    for _ in range(10):
        t0 = time.monotonic()
        client.organization.retrieve()
        waits.append(time.monotonic() - t0)
    moved = [client.tasks.retrieve(i) for i in ids]
    for i in ids:
        client.tasks.delete(i)
    assert all(m.status == "RUNNING" for m in moved)  # still rendering while we were served
    assert sorted(waits)[5] < 0.5 and max(waits) < 2.0, waits  # generous: cores are shared
    assert client.organization.retrieve().credit_balance == before
