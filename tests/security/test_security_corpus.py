"""Bad-input corpus over HTTP: every case of issue #11 and more (images, audio, documents,
URLs, JSON, live bodies) is a 4xx whose message names the field and the problem, the server
still answers, and stored data (every database row, every stored file) is unchanged.

WebSocket frames are in ``test_security_live_audio.py``, the heavy inputs (bombs, an hour of
audio) against a real server in ``test_security_stalls.py``."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from kinema.api.limits import MAX_JSON_BYTES
from kinema.config import Settings
from kinema.platform import accounts, db

V = {"X-Runway-Version": "2024-11-06"}
VOICE = {"type": "runway-live-preset", "presetId": "victoria"}
_VOLATILE = {"last_used_at"}  # a key's last use is written on authentication


class Env:
    def __init__(self, tmp: Path) -> None:
        from kinema.api.app import create_app

        self.settings = Settings(home=tmp / "home", workers=1)  # type: ignore[call-arg]
        db.migrate(self.settings)
        keys = []
        with db.session_scope(self.settings) as s:
            for name in ("acme", "other"):
                org = accounts.create_org(s, name, credits=1000)
                keys.append(accounts.create_key(s, org.id)[1])
        self.headers = {"Authorization": f"Bearer {keys[0]}", **V}
        self.other = {"Authorization": f"Bearer {keys[1]}", **V}
        self._client_cm = TestClient(create_app(self.settings, run_tasks=False))
        self.client = self._client_cm.__enter__()
        self.avatar = self._avatar(self.headers)
        self.other_avatar = self._avatar(self.other)

    def _avatar(self, headers: dict[str, str]) -> str:
        from skimage import data as skdata

        from kinema.media.image import encode_image

        png = encode_image(skdata.astronaut())
        body = {
            "name": "Nova",
            "personality": "A friendly guide.",
            "referenceImage": data_uri(png, "image/png"),
            "voice": VOICE,
            "startScript": "Hello!",
        }
        r = self.client.post("/v1/avatars", headers=headers, json=body)
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def snapshot(self) -> tuple[dict[str, list[tuple]], list[str]]:
        """Every row of every table (volatile columns aside) and every stored file."""
        engine = db.get_engine(self.settings)
        rows: dict[str, list[tuple]] = {}
        with engine.connect() as conn:  # one connection: SQLite transactions take the lock
            insp = inspect(conn)
            for table in insp.get_table_names():
                if table == "alembic_version":
                    continue
                cols = [c["name"] for c in insp.get_columns(table)]
                keep = [c for c in cols if c not in _VOLATILE]
                got = conn.execute(text(f'SELECT {", ".join(keep)} FROM "{table}"')).all()
                rows[table] = sorted(tuple(map(repr, r)) for r in got)
        root = Path(self.settings.resolved_storage_url)
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
        return rows, files

    def close(self) -> None:
        self._client_cm.__exit__(None, None, None)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(tmp_path_factory.mktemp("corpus"))
    yield e
    e.close()


@pytest.fixture
def client(env: Env) -> TestClient:
    return env.client


@pytest.fixture
def headers(env: Env) -> dict[str, str]:
    return env.headers


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def _alive(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = zlib.compress(b"\x00" * (1 + width * 3) * min(height, 64), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", raw)
        + _png_chunk(b"IEND", b"")
    )


def _wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(int(seconds * rate), np.int16).tobytes())
    return buf.getvalue()


def _i2v(uri: Any) -> dict:
    return {
        "model": "gen4_turbo",
        "promptImage": uri,
        "promptText": "x",
        "ratio": "960:960",
        "duration": 2,
    }


def _session(avatar: Any, **extra: Any) -> dict:
    return {"model": "gwm1_avatars", "avatar": avatar, **extra}


def _voice(audio: str, consent: Any = None) -> dict:
    return {
        "name": "v",
        "from": {"type": "audio", "audio": audio},
        "consent": consent or {"confirmed": True, "statement": "I agree.", "by": "Tester"},
    }


DEEP = "[" * 100_000 + "]" * 100_000
PRESET = {"type": "runway-preset", "presetId": "game-character"}

# (id, method, path, request kwargs, the field the message must name); {avatar} is a real
# avatar of the caller's organization, {other_avatar} one of another organization
CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    # images
    ("png-truncated-in-header", "POST", "/v1/image_to_video",
     {"json": _i2v(data_uri(_png(64, 64)[:20], "image/png"))}, "promptImage"),
    ("png-pixel-bomb", "POST", "/v1/image_to_video",
     {"json": _i2v(data_uri(_png(7000, 5700), "image/png"))}, "promptImage"),
    ("png-too-small", "POST", "/v1/image_to_video",
     {"json": _i2v(data_uri(_png(8, 8), "image/png"))}, "promptImage"),
    ("image-not-an-image", "POST", "/v1/image_to_video",
     {"json": _i2v(data_uri(b"GIF89a....", "image/png"))}, "promptImage"),
    ("image-bad-base64", "POST", "/v1/image_to_video",
     {"json": _i2v("data:image/png;base64,!!!")}, "promptImage"),
    ("image-wrong-mime", "POST", "/v1/image_to_video",
     {"json": _i2v("data:text/plain;base64,aGVsbG8=")}, "promptImage"),
    ("image-uri-not-a-string", "POST", "/v1/image_to_video", {"json": _i2v({"x": 1})},
     "promptImage"),
    ("avatar-reference-truncated", "POST", "/v1/avatars",
     {"json": {"name": "a", "personality": "p", "voice": VOICE,
               "referenceImage": data_uri(_png(64, 64)[:29], "image/png")}}, "referenceImage"),
    # URLs (never fetched: refused before any connection)
    ("url-unbalanced-ipv6", "POST", "/v1/image_to_video", {"json": _i2v("https://[::1/x")},
     "promptImage"),
    ("url-loopback-ip", "POST", "/v1/image_to_video", {"json": _i2v("https://127.0.0.1/x")},
     "promptImage"),
    ("url-cgnat-metadata", "POST", "/v1/image_to_video", {"json": _i2v("https://100.100.100.200/x")},
     "promptImage"),
    ("url-6to4-private", "POST", "/v1/image_to_video", {"json": _i2v("https://[2002:7f00:1::]/x")},
     "promptImage"),
    ("url-localhost", "POST", "/v1/image_to_video", {"json": _i2v("https://localhost/x")},
     "promptImage"),
    ("url-http", "POST", "/v1/image_to_video", {"json": _i2v("http://example.com/x.png")},
     "promptImage"),
    ("url-file-scheme", "POST", "/v1/image_to_video", {"json": _i2v("file:///etc/passwd")},
     "promptImage"),
    ("url-bad-port", "POST", "/v1/image_to_video", {"json": _i2v("https://a.example:99999/x")},
     "promptImage"),
    ("url-unknown-upload", "POST", "/v1/image_to_video", {"json": _i2v("runway://nope")},
     "promptImage"),
    ("document-url-private", "POST", "/v1/documents/upload",
     {"json": {"url": "https://10.0.0.1/doc.html"}}, "url"),
    # audio
    ("audio-not-audio", "POST", "/v1/voices", {"json": _voice(data_uri(b"hello", "audio/wav"))},
     "from.audio"),
    ("audio-empty", "POST", "/v1/voices", {"json": _voice("data:audio/wav;base64,")},
     "from.audio"),
    ("audio-too-long", "POST", "/v1/voices",
     {"json": _voice(data_uri(_wav_bytes(302, 8000), "audio/wav"))}, "from.audio"),
    ("audio-without-consent", "POST", "/v1/voices",
     {"json": _voice(data_uri(_wav_bytes(2), "audio/wav"), {"confirmed": False})}, "consent"),
    ("turn-audio-not-audio", "POST", "/v1/avatars/{avatar}/conversation_turns",
     {"files": {"audio": ("a.wav", b"RIFF....", "audio/wav")}}, "audio"),
    ("turn-video-size-superscript", "POST", "/v1/avatars/{avatar}/conversation_turns",
     {"files": {"audio": ("a.wav", b"xx", "audio/wav")}, "data": {"videoSize": "²"}},
     "videoSize"),
    # documents
    ("docx-not-a-zip", "POST", "/v1/documents/upload",
     {"files": {"file": ("x.docx", b"garbage", "application/octet-stream")}}, "file"),
    ("pdf-garbage", "POST", "/v1/documents/upload",
     {"files": {"file": ("x.pdf", b"%PDF-1.4 garbage", "application/pdf")}}, "file"),
    ("document-binary", "POST", "/v1/documents/upload",
     {"files": {"file": ("x.bin", b"\x00\x01" * 100, "application/octet-stream")}}, "file"),
    ("document-content-type", "POST", "/v1/documents", {"json": {"name": "n", "content": {}}},
     "content"),
    # JSON bodies
    ("deep-json-i2v", "POST", "/v1/image_to_video",
     {"content": DEEP, "headers": {"Content-Type": "application/json"}}, "body"),
    ("deep-json-realtime", "POST", "/v1/realtime_sessions",
     {"content": DEEP, "headers": {"Content-Type": "application/json"}}, "body"),
    ("deep-json-avatars", "POST", "/v1/avatars",
     {"content": DEEP, "headers": {"Content-Type": "application/json"}}, "body"),
    ("deep-json-patch", "PATCH", "/v1/avatars/{avatar}",
     {"content": DEEP, "headers": {"Content-Type": "application/json"}}, "JSON"),
    ("broken-json", "POST", "/v1/voices",
     {"content": "{", "headers": {"Content-Type": "application/json"}}, "body"),
    ("patch-not-an-object", "PATCH", "/v1/avatars/{avatar}", {"json": [1, 2]}, "JSON object"),
    # realtime sessions
    ("session-preset-id-list", "POST", "/v1/realtime_sessions",
     {"json": _session({"type": "runway-preset", "presetId": [1]})}, "avatar.presetId"),
    ("session-avatar-id-object", "POST", "/v1/realtime_sessions",
     {"json": _session({"type": "custom", "avatarId": {}})}, "avatar.avatarId"),
    ("session-avatar-id-list", "POST", "/v1/realtime_sessions",
     {"json": _session({"type": "custom", "avatarId": [1]})}, "avatar.avatarId"),
    ("session-avatar-type", "POST", "/v1/realtime_sessions",
     {"json": _session({"type": {}})}, "avatar.type"),
    ("session-other-org-avatar", "POST", "/v1/realtime_sessions",
     {"json": _session({"type": "custom", "avatarId": "{other_avatar}"})}, "Avatar"),
    ("session-max-duration-type", "POST", "/v1/realtime_sessions",
     {"json": _session(PRESET, maxDuration="x")}, "maxDuration"),
    ("session-max-duration-limit", "POST", "/v1/realtime_sessions",
     {"json": _session(PRESET, maxDuration=10**9)}, "maxDuration"),
    ("session-tools-type", "POST", "/v1/realtime_sessions",
     {"json": _session(PRESET, tools={})}, "tools"),
    ("session-start-script-long", "POST", "/v1/realtime_sessions",
     {"json": _session(PRESET, startScript="a" * 2001)}, "startScript"),
    # publishable keys
    ("pk-other-org-avatar", "POST", "/v1/publishable_keys",
     {"json": {"avatarId": "{other_avatar}", "allowedOrigins": ["https://a.example"]}},
     "Avatar"),
    ("pk-origin-star", "POST", "/v1/publishable_keys",
     {"json": {"avatarId": "{avatar}", "allowedOrigins": ["*"]}}, "allowedOrigins"),
    ("pk-origin-ipv6", "POST", "/v1/publishable_keys",
     {"json": {"avatarId": "{avatar}", "allowedOrigins": ["http://[::1"]}}, "allowedOrigins"),
    ("pk-origin-port", "POST", "/v1/publishable_keys",
     {"json": {"avatarId": "{avatar}", "allowedOrigins": ["http://a:99999"]}},
     "allowedOrigins"),
    # uploads, queries
    ("upload-filename-nul", "POST", "/v1/uploads",
     {"json": {"filename": "a\x00b.png", "type": "ephemeral"}}, "filename"),
    ("upload-filename-long", "POST", "/v1/uploads",
     {"json": {"filename": "x" * 300 + ".png", "type": "ephemeral"}}, "filename"),
    ("upload-filename-type", "POST", "/v1/uploads",
     {"json": {"filename": {}, "type": "ephemeral"}}, "filename"),
    ("list-limit", "GET", "/v1/avatars?limit=abc", {}, "limit"),
    ("list-cursor", "GET", "/v1/avatars?cursor=%FF%FF", {}, "cursor"),
    ("usage-dates", "GET", "/v1/avatar_usage?startDate=x&endDate=y", {}, "startDate"),
    ("turn-text-type", "POST", "/v1/avatars/{avatar}/conversation_turns",
     {"json": {"text": {}}}, "text"),
]  # fmt: skip


def _fill(value: Any, env: Env) -> Any:
    if isinstance(value, str):
        return value.replace("{avatar}", env.avatar).replace("{other_avatar}", env.other_avatar)
    if isinstance(value, dict):
        return {k: _fill(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, env) for v in value]
    return value


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [pytest.param(m, p, k, f, id=i) for i, m, p, k, f in CASES],
)
def test_bad_input_is_a_4xx_naming_the_field(
    env: Env, method: str, path: str, kwargs: dict, field: str
) -> None:
    before = env.snapshot()
    kw = _fill(kwargs, env)
    kw["headers"] = {**env.headers, **kw.get("headers", {})}
    r = env.client.request(method, _fill(path, env), **kw)
    assert 400 <= r.status_code < 500, r.text
    message = r.json()["error"]
    assert field in message, message
    _alive(env.client)
    assert env.snapshot() == before


@pytest.mark.parametrize(
    "query",
    ["exp=%C2%B2&sig=abc", "exp=99999999999&sig=%C3%A9%C3%A9", "exp=-1&sig=x", "exp=&sig="],
)
def test_signed_file_urls_with_bad_exp_or_sig_are_403_or_404(client, query: str) -> None:
    r = client.get(f"/files/some/key.png?{query}")
    assert 400 <= r.status_code < 500, r.text
    assert "error" in r.json()
    _alive(client)


def test_upload_token_non_ascii_is_403(client, headers) -> None:
    up = client.post(
        "/v1/uploads", headers=headers, json={"filename": "face.png", "type": "ephemeral"}
    ).json()
    r = client.post(
        up["uploadUrl"],
        data={"token": "tökén"},
        files={"file": ("face.png", b"\x89PNG\r\n", "image/png")},
    )
    assert r.status_code == 403
    assert "token" in r.json()["error"].lower()
    _alive(client)


@pytest.mark.parametrize("origin", ["http://[::1", "http://a:99999", "javascript:x", "*"])
def test_bad_origins_never_500(client, origin: str) -> None:
    r = client.options(
        "/v1/live/embed/sessions",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 403
    r = client.post("/v1/live/embed/sessions", headers={"Origin": origin}, json={})
    assert 400 <= r.status_code < 500, r.text
    _alive(client)


@pytest.mark.parametrize("origin", ["http://[::1", "http://a:99999", "*", "ftp://x.example"])
def test_publishable_key_origins_are_validated(env: Env, origin: str) -> None:
    before = env.snapshot()
    r = env.client.post(
        "/v1/publishable_keys",
        headers=env.headers,
        json={"avatarId": env.avatar, "allowedOrigins": [origin]},
    )
    assert r.status_code == 400, r.text
    assert "allowedOrigins" in r.json()["error"]
    assert env.snapshot() == before
    _alive(env.client)


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_json_is_413(client, headers, chunked: bool) -> None:
    size = 50 * 1024 * 1024  # 50 MB of JSON
    body = b'{"promptText": "' + b"a" * size + b'"}'

    def chunks():  # no Content-Length: the middleware counts what arrives
        for i in range(0, len(body), 1 << 20):
            yield body[i : i + (1 << 20)]

    r = client.post(
        "/v1/image_to_video",
        headers={**headers, "Content-Type": "application/json"},
        content=chunks() if chunked else body,
    )
    assert r.status_code == 413
    assert "too large" in r.json()["error"] and str(MAX_JSON_BYTES) in r.json()["error"]
    _alive(client)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"voice": "x"}, "voice"),
        ({"voice": [1]}, "voice"),
        ({"emotion": 123}, "emotion"),
        ({"documentIds": [{}]}, "documentIds.0"),
        ({"startScript": {}}, "startScript"),
        ({"startScript": "a" * 2001}, "startScript"),
        ({"imageProcessing": [1]}, "imageProcessing"),
        ({"knowledgeOnly": "maybe"}, "knowledgeOnly"),
        ({"knowledgeOnly": "no"}, "knowledgeOnly"),  # lax parsing would store False
        ({"knowledgeOnly": 0}, "knowledgeOnly"),
        ({"startScript": "a" * 10_000_000}, "startScript"),  # 10 MB where create caps 2000
        ({"name": ""}, "name"),
        ({"personality": 5}, "personality"),
    ],
)
def test_patch_avatar_validates_like_create(env: Env, body: dict, field: str) -> None:
    before = env.snapshot()

    def shown() -> dict:  # signed URLs are fresh on every GET: compare them without the query
        body = env.client.get(f"/v1/avatars/{env.avatar}", headers=env.headers).json()
        return {k: v.split("?")[0] if isinstance(v, str) else v for k, v in body.items()}

    first = shown()
    r = env.client.patch(f"/v1/avatars/{env.avatar}", headers=env.headers, json=body)
    assert r.status_code == 400, r.text
    assert f"'{field}" in r.json()["error"]
    _alive(env.client)
    assert env.snapshot() == before
    assert shown() == first
