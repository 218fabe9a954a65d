"""fsspec storage (memory:// and local) and signed, expiring file paths."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from kinema.errors import InvalidInput, NotFound
from kinema.platform.storage import Storage, sign_path, verify_signature


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_put_get_delete(kind, tmp_path):
    url = f"memory://kinema-{uuid.uuid4().hex}" if kind == "memory" else str(tmp_path / "s")
    st = Storage(url)
    st.put_bytes("tasks/a/video.mp4", b"\x00" * 10)
    src = tmp_path / "x.txt"
    src.write_text("hello")
    st.put_file("tasks/a/x.txt", src)
    assert st.get_bytes("tasks/a/video.mp4") == b"\x00" * 10
    assert b"".join(st.iter_bytes("tasks/a/x.txt")) == b"hello"
    assert st.exists("tasks/a/x.txt") and st.size("tasks/a/x.txt") == 5
    assert (st.local_path("tasks/a/x.txt") is not None) == (kind == "local")
    st.delete("tasks/a/x.txt")
    assert not st.exists("tasks/a/x.txt")
    with pytest.raises(NotFound):
        st.get_bytes("tasks/a/x.txt")
    with pytest.raises(InvalidInput):
        st.get_bytes("../etc/passwd")


def test_signed_paths_expire_and_resist_tampering():
    path = sign_path("tasks/a/video.mp4", secret="s3cret", ttl=60)
    q = parse_qs(urlsplit(path).query)
    exp, sig = q["exp"][0], q["sig"][0]
    assert verify_signature("tasks/a/video.mp4", exp, sig, secret="s3cret")
    assert not verify_signature("tasks/b/video.mp4", exp, sig, secret="s3cret")
    assert not verify_signature("tasks/a/video.mp4", str(int(exp) + 1), sig, secret="s3cret")
    assert not verify_signature("tasks/a/video.mp4", exp, sig, secret="other")
    old = sign_path("k", secret="s", ttl=10, now=time.time() - 100)
    q = parse_qs(urlsplit(old).query)
    assert not verify_signature("k", q["exp"][0], q["sig"][0], secret="s")
