"""Runway-style errors: version header, auth, validation, 404/405, bad media, limits."""

from __future__ import annotations

import pytest
from api_helpers import VERSION, data_uri, gif_bytes, png_bytes
from sqlalchemy import update

from kinema.platform import accounts, db
from kinema.platform.models import Organization


def i2v(client, headers, **body):
    payload = {
        "model": "gen4_turbo",
        "promptImage": data_uri(png_bytes()),
        "ratio": "960:960",
        "duration": 2,
        **body,
    }
    return client.post("/v1/image_to_video", json=payload, headers=headers)


@pytest.mark.parametrize("version", [None, "2023-01-01"])
def test_version_header_missing_or_wrong_is_400(client, key, version):
    headers = {"Authorization": f"Bearer {key}"}
    if version:
        headers["X-Runway-Version"] = version
    r = client.get("/v1/organization", headers=headers)
    assert r.status_code == 400
    assert "X-Runway-Version" in r.json()["error"]


def test_missing_wrong_and_revoked_keys_are_401(client, settings, key):
    assert client.get("/v1/organization", headers=VERSION).status_code == 401
    r = client.get("/v1/organization", headers={"Authorization": "Bearer key_nope", **VERSION})
    assert r.status_code == 401 and r.json() == {"error": "Invalid API key."}
    with db.session_scope(settings) as s:
        accounts.revoke_key(s, key)
    r = client.get("/v1/organization", headers={"Authorization": f"Bearer {key}", **VERSION})
    assert r.status_code == 401 and "revoked" in r.json()["error"]


def test_not_found_and_method_not_allowed_use_error_bodies(client, headers):
    r = client.get("/v1/tasks/00000000-0000-4000-8000-000000000000", headers=headers)
    assert r.status_code == 404 and set(r.json()) == {"error"}
    r = client.get("/v1/does_not_exist", headers=headers)
    assert r.status_code == 404 and "error" in r.json()
    r = client.put("/v1/tasks/x", headers=headers)
    assert r.status_code == 405 and r.json()["error"]


def test_validation_errors_are_400_naming_the_parameter(client, headers):
    r = i2v(client, headers, promptText="")
    assert r.status_code == 400
    assert r.json()["error"].startswith("Invalid parameter 'promptText'")
    assert r.json()["issues"][0]["path"] == ["promptText"]
    r = client.post("/v1/image_to_video", content=b"{not json", headers=headers)
    assert r.status_code == 400


def test_unknown_model_names_the_supported_ones(client, headers):
    r = i2v(client, headers, model="veo3.1")
    assert r.status_code == 400
    msg = r.json()["error"]
    assert "'veo3.1'" in msg and "gen4_turbo" in msg and "gen4.5" in msg
    r = client.post(
        "/v1/text_to_image",
        json={"model": "dall-e", "promptText": "x", "ratio": "1024:1024"},
        headers=headers,
    )
    assert r.status_code == 400 and "gen4_image" in r.json()["error"]


def test_ratio_and_duration_rules_per_model(client, headers):
    r = i2v(client, headers, ratio="1000:1000")
    assert r.status_code == 400 and "ratio" in r.json()["error"] and "1280:720" in r.json()["error"]
    r = i2v(client, headers, duration=11)
    assert r.status_code == 400 and "duration" in r.json()["error"]
    r = i2v(client, headers, model="gen4.5")  # gen4.5 requires promptText
    assert r.status_code == 400 and "promptText" in r.json()["error"]
    r = client.post(
        "/v1/text_to_video",
        json={"model": "gen4.5", "promptText": "x", "ratio": "960:960", "duration": 5},
        headers=headers,
    )
    assert r.status_code == 400 and "ratio" in r.json()["error"]
    r = client.post(
        "/v1/text_to_image",
        json={"model": "gen4_image_turbo", "promptText": "x", "ratio": "1024:1024"},
        headers=headers,
    )
    assert r.status_code == 400 and "referenceImages" in r.json()["error"]


@pytest.mark.parametrize(
    ("uri", "needle"),
    [
        (data_uri(png_bytes(256, 256)[:2000]), "corrupt"),  # a truncated PNG
        (data_uri(b"hello, I am a text file named .png"), "not an image"),
        (data_uri(gif_bytes(), "image/gif"), "GIF"),
        (data_uri(b"\xff" * (6 * 1024 * 1024)), "limit"),  # 6 MB data URI
        ("https://127.0.0.1/a.png", "non-public"),
        ("https://10.0.0.1/a.png", "non-public"),
        ("http://example.com/a.png", "HTTPS"),
        ("ftp://example.com/a.png", "scheme"),
        ("runway://uploads/00000000-0000-4000-8000-000000000000", "unknown upload"),
        ("data:text/plain;base64,aGVsbG8gd29ybGQ=", "data:image"),
    ],
    ids=[
        "corrupt",
        "text-as-png",
        "gif",
        "6mb-data-uri",
        "loopback",
        "private-10",
        "plain-http",
        "ftp",
        "unknown-upload",
        "text-data-uri",
    ],
)
def test_bad_media_inputs_are_400_naming_the_field(client, headers, uri, needle):
    r = i2v(client, headers, promptImage=uri)
    assert r.status_code == 400, r.text
    msg = r.json()["error"]
    assert "promptImage" in msg and needle in msg


def test_insufficient_credits_is_400(client, headers, settings):
    with db.session_scope(settings) as s:
        s.execute(update(Organization).values(credit_balance=9))
    r = i2v(client, headers)  # gen4_turbo, 2 s = 10 credits
    assert r.status_code == 400 and "credits" in r.json()["error"]


def test_daily_limit_is_429_with_retry_after(client, headers, settings):
    with db.session_scope(settings) as s:
        s.execute(update(Organization).values(max_daily_tasks=1))
    assert i2v(client, headers).status_code == 200
    r = i2v(client, headers)
    assert r.status_code == 429 and "Daily task limit" in r.json()["error"]
    assert int(r.headers["Retry-After"]) > 3600
