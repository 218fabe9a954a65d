"""S3 for real: moto's server mode (the S3 wire protocol on 127.0.0.1) behind fsspec/s3fs.

Task outputs are written there by worker processes and served through ``/files`` as a proxy
that answers Range requests (players seek; checked with PyAV over HTTP), or as a redirect to a
presigned URL. Range requests are checked on local storage the same way."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import httpx
import numpy as np
import pytest

from kinema.config import Settings
from kinema.platform import accounts, db, tasks
from kinema.platform.models import Task
from kinema.platform.storage import Storage, get_storage, sign_path

pytestmark = pytest.mark.slow

pytest.importorskip("s3fs", reason="s3fs is a test need: pip install -e '.[dev]'")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is a test need")

VERSION = {"X-Runway-Version": "2024-11-06"}
BUCKET = "kinema-outputs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """An S3-compatible server on loopback with one bucket; yields its endpoint URL."""
    import boto3

    mp = pytest.MonkeyPatch()
    for k, v in {
        "AWS_ACCESS_KEY_ID": "kinema-test",
        "AWS_SECRET_ACCESS_KEY": "kinema-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        mp.setenv(k, v)  # worker processes inherit them: credentials never ride on jobs
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()
    mp.undo()


def s3_settings(tmp_path, endpoint: str, **kw: object) -> Settings:
    s = Settings(  # type: ignore[call-arg]
        home=tmp_path / "home",
        storage_url=f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}",
        storage_options={"endpoint_url": endpoint},
        worker_prewarm=False,
        workers=1,
        tts="espeak",
        **kw,
    )
    db.migrate(s)
    return s


class LiveServer:
    """The app under uvicorn on a free loopback port, in a thread (a real HTTP server)."""

    def __init__(self, settings: Settings, run_tasks: bool = False) -> None:
        import uvicorn

        from kinema.api.app import create_app

        self.port = free_port()
        self.ranges: list[str] = []  # the Range header of every request for /files
        app = create_app(settings, run_tasks=run_tasks)

        @app.middleware("http")
        async def record(request, call_next):  # noqa: ANN001, ANN202
            if request.url.path.startswith("/files/"):
                self.ranges.append(request.headers.get("range", ""))
            return await call_next(request)

        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        end = time.monotonic() + 60
        while not self.server.started and time.monotonic() < end:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def org_key(settings: Settings) -> dict[str, str]:
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, f"org-{uuid.uuid4().hex[:6]}", credits=100)
        _, key = accounts.create_key(s, org.id)
    return {"Authorization": f"Bearer {key}", **VERSION}


def test_storage_round_trip_on_s3(tmp_path, s3):
    import boto3

    settings = s3_settings(tmp_path, s3)
    st = get_storage(settings)
    assert not st.is_local
    data = bytes(range(256)) * 40
    st.put_bytes("tasks/t1/blob.bin", data)
    prefix = settings.storage_url.split("/", 3)[3]
    obj = boto3.client("s3", endpoint_url=s3).get_object(
        Bucket=BUCKET, Key=f"{prefix}/tasks/t1/blob.bin"
    )
    assert obj["Body"].read() == data  # really on the S3 server
    assert st.exists("tasks/t1/blob.bin") and st.size("tasks/t1/blob.bin") == len(data)
    assert b"".join(st.iter_range("tasks/t1/blob.bin", 1000, 4999, chunk=1024)) == data[1000:5000]
    assert st.get_bytes("tasks/t1/blob.bin") == data
    url = st.presign("tasks/t1/blob.bin", 60)
    assert url and url.startswith(s3) and "Signature" in url
    assert httpx.get(url).content == data
    st.delete("tasks/t1/blob.bin")
    assert not st.exists("tasks/t1/blob.bin")
    assert Storage(str(tmp_path / "local")).presign("x", 60) is None


def _check_ranges(base: str, path: str, data: bytes) -> None:
    full = httpx.get(base + path)
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    size = len(data)
    for header, start, end in (
        ("bytes=10-19", 10, 19),
        ("bytes=-5", size - 5, size - 1),
        (f"bytes={size - 3}-", size - 3, size - 1),
        (f"bytes=100-{size * 2}", 100, size - 1),  # clamped to the end
    ):
        r = httpx.get(base + path, headers={"Range": header})
        assert r.status_code == 206, header
        assert r.content == data[start : end + 1], header
        assert r.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert int(r.headers["content-length"]) == end - start + 1
    r = httpx.get(base + path, headers={"Range": f"bytes={size + 10}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"


def _mp4(path, seconds: int = 3) -> None:
    """A clip with a keyframe every half second and its index at the end (no faststart): a
    player must ask for ranges to start at all, and to seek. Noise makes it ~1.5 MB, more than
    a reader skips by reading on."""
    import av

    rng = np.random.default_rng(3)
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=24)
        vs.width, vs.height, vs.pix_fmt = 128, 96, "yuv420p"
        vs.options = {"g": "12", "preset": "ultrafast", "crf": "4"}
        for i in range(24 * seconds):
            rgb = np.zeros((96, 128, 3), np.uint8)
            rgb[:40] = rng.integers(0, 255, (40, 128, 3), dtype=np.uint8)
            rgb[40:, : (i * 128) // (24 * seconds) + 1] = (40, 200, 90)  # a bar that grows
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)


@pytest.mark.parametrize("backend", ["s3", "local"])
def test_files_answer_range_requests_and_players_seek(tmp_path, s3, backend):
    import av

    settings = (
        s3_settings(tmp_path, s3)
        if backend == "s3"
        else Settings(home=tmp_path / "home", worker_prewarm=False)  # type: ignore[call-arg]
    )
    db.migrate(settings)
    src = tmp_path / "clip.mp4"
    _mp4(src)
    st = get_storage(settings)
    key = "clips/video.mp4"  # not a task's file: those are served only while their task lives
    st.put_file(key, src)
    path = sign_path(key, secret=settings.resolved_secret_key(), ttl=600)
    with LiveServer(settings) as srv:
        _check_ranges(srv.url, path, src.read_bytes())
        srv.ranges.clear()
        with av.open(srv.url + path) as container:  # ffmpeg's http reader seeks with Range
            stream = container.streams.video[0]
            container.seek(int(2.0 / stream.time_base), stream=stream, any_frame=False)
            frame = next(container.decode(stream))
            assert float(frame.pts * stream.time_base) >= 1.9
            bar = (frame.to_ndarray(format="rgb24")[70, :, 1] > 120).mean()
            assert bar > 0.6  # the bar of second 2, not of the first frame
        assert len([r for r in srv.ranges if r and r != "bytes=0-"]) >= 2, srv.ranges


def test_task_output_stored_on_s3_and_served(tmp_path, s3):
    """A worker process writes the output to S3; the proxy serves it, presign redirects."""
    settings = s3_settings(tmp_path, s3)
    h = org_key(settings)
    body = {
        "model": "eleven_multilingual_v2",
        "promptText": "Stored in a bucket.",
        "voice": {"type": "runway-preset", "presetId": "Maya"},
    }
    with LiveServer(settings, run_tasks=True) as srv:
        tid = httpx.post(f"{srv.url}/v1/text_to_speech", json=body, headers=h).json()["id"]
        end = time.monotonic() + 90
        while time.monotonic() < end:
            t = httpx.get(f"{srv.url}/v1/tasks/{tid}", headers=h).json()
            if t["status"] in tasks.TERMINAL:
                break
            time.sleep(0.2)
        assert t["status"] == "SUCCEEDED", t
        with db.session_scope(settings) as s:
            (key,) = s.get(Task, tid).outputs["files"]
        wav = get_storage(settings).get_bytes(key)
        assert wav[:4] == b"RIFF" and len(wav) > 8000
        _check_ranges("", t["output"][0], wav)
    presigning = settings.model_copy(update={"storage_serve": "presign"})
    with LiveServer(presigning) as srv:
        url = srv.url + "/files/" + t["output"][0].split("/files/", 1)[1]
        r = httpx.get(url)
        assert r.status_code == 307 and r.headers["location"].startswith(s3)
        assert httpx.get(r.headers["location"]).content == wav
        part = httpx.get(r.headers["location"], headers={"Range": "bytes=0-3"})
        assert part.status_code == 206 and part.content == b"RIFF"


def test_memory_storage_is_refused_where_workers_run(tmp_path):
    from kinema.platform.nodes import NodeConfigError, check_role

    s = Settings(home=tmp_path, storage_url="memory://x")  # type: ignore[call-arg]
    with pytest.raises(NodeConfigError, match="memory://"):
        check_role(s)
    check_role(s, role="api")  # an API-only process may keep files in memory (tests)
    assert os.environ.get("KINEMA_STORAGE_URL") is None
