"""Bad-input corpus over HTTP: each case is a 4xx whose message names the field and the problem,
the server still answers, and stored data is unchanged."""

from __future__ import annotations

import pytest

from kinema.api.limits import MAX_JSON_BYTES
from kinema.platform import db
from kinema.platform.deployments.models import PublishableKey

V = {"X-Runway-Version": "2024-11-06"}


def _snapshot(settings) -> list:  # noqa: ANN001
    with db.session_scope(settings) as s:
        return sorted(
            (r.id, tuple(r.allowed_origins or []), r.revoked_at is None)
            for r in s.query(PublishableKey).all()
        )


def _alive(client) -> None:  # noqa: ANN001
    assert client.get("/healthz").json() == {"ok": True}


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
def test_publishable_key_origins_are_validated(client, headers, settings, origin: str) -> None:
    before = _snapshot(settings)
    r = client.post(
        "/v1/publishable_keys",
        headers=headers,
        json={"avatarId": "00000000-0000-4000-8000-000000000000", "allowedOrigins": [origin]},
    )
    assert 400 <= r.status_code < 500, r.text
    assert _snapshot(settings) == before
    _alive(client)


def test_deep_json_is_400(client, headers) -> None:
    body = "[" * 100_000 + "]" * 100_000
    r = client.post(
        "/v1/image_to_video",
        headers={**headers, "Content-Type": "application/json"},
        content=body,
    )
    assert r.status_code == 400, r.text
    assert "body" in r.json()["error"]  # FastAPI's parser or our RecursionError handler
    _alive(client)


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


@pytest.mark.parametrize("filename", ["a\x00b.png", "x" * 300 + ".png"])
def test_upload_filenames_are_validated(client, headers, filename: str) -> None:
    r = client.post(
        "/v1/uploads", headers=headers, json={"filename": filename, "type": "ephemeral"}
    )
    assert 400 <= r.status_code < 500, r.text
    assert "filename" in r.json()["error"]
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
def test_patch_avatar_validates_like_create(client, headers, body: dict, field: str) -> None:
    r = client.patch("/v1/avatars/00000000-0000-4000-8000-000000000000", headers=headers, json=body)
    assert r.status_code == 400, r.text
    assert f"'{field}" in r.json()["error"]
    _alive(client)
