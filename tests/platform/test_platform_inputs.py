"""Media inputs: data URIs per kind and size, runway:// uploads scoped to their organization."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from kinema.errors import InvalidMedia
from kinema.platform import accounts, db
from kinema.platform.inputs import resolve_media
from kinema.platform.models import Upload, utcnow
from kinema.platform.storage import get_storage


def uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def test_data_uris_by_kind_and_limit(settings):
    assert (
        resolve_media(uri("video/mp4", b"x" * 100), "video", "videoUri", settings=settings)
        == b"x" * 100
    )
    with pytest.raises(InvalidMedia, match="videoUri.*data:video"):
        resolve_media(uri("image/png", b"x" * 100), "video", "videoUri", settings=settings)
    big = uri("audio/wav", b"\0" * (13 * 1024 * 1024))  # ~17.3 MB as base64: over 16 MiB
    with pytest.raises(InvalidMedia, match="audioUri.*limit"):
        resolve_media(big, "audio", "audioUri", settings=settings)
    with pytest.raises(InvalidMedia, match="expected a media URI"):
        resolve_media("data:,", "image", "promptImage", settings=settings)


def test_runway_uploads_belong_to_their_org_and_expire(settings, org):
    with db.session_scope(settings) as s:
        other = accounts.create_org(s, "other", credits=0)
        up = Upload(org_id=org.org_id, filename="a.png", expires_at=utcnow() + timedelta(hours=1))
        s.add(up)
        s.flush()
        up_id = up.id
    ref = f"runway://uploads/{up_id}"
    with pytest.raises(InvalidMedia, match="no file yet"):
        resolve_media(ref, org_id=org.org_id, settings=settings)
    key = get_storage(settings).put_bytes(f"uploads/{up_id}/a.png", b"png-bytes")
    with db.session_scope(settings) as s:
        s.get(Upload, up_id).storage_key = key
    assert resolve_media(ref, org_id=org.org_id, settings=settings) == b"png-bytes"
    with pytest.raises(InvalidMedia, match="unknown upload"):
        resolve_media(ref, org_id=other.id, settings=settings)
    with db.session_scope(settings) as s:
        s.get(Upload, up_id).expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(InvalidMedia, match="expired"):
        resolve_media(ref, org_id=org.org_id, settings=settings)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("https://8.8.8.8/a.png", "domain, not an IP address \\(8.8.8.8 is a public"),
        ("https://[2001:4860:4860::8888]/a.png", "domain, not an IP address"),
        ("https://127.0.0.1/a.png", "non-public"),
        ("https://169.254.169.254/latest", "non-public"),
    ],
)
def test_urls_must_name_a_domain(settings, url, needle):
    """Runway takes domains only: an IP literal is refused (a 400) before any connection."""
    with pytest.raises(InvalidMedia, match=needle) as info:
        resolve_media(url, "image", "promptImage", settings=settings)
    assert info.value.status == 400 and "promptImage" in str(info.value)


def test_ip_literals_pass_only_under_the_test_setting():
    from kinema.media.fetch import FetchRefused, check_url

    check_url("http://127.0.0.1:9/a.png", allow_private=True, allow_http=True)
    with pytest.raises(FetchRefused, match="domain"):
        check_url("http://127.0.0.1:9/a.png", allow_http=True)
