"""Knowledge documents through the API: CRUD as Runway has it, file and URL upload, limits."""

from __future__ import annotations

import http.server
import threading

import pytest
from chars_helpers import make_avatar, pdf_bytes

from kinema.config import Settings


def test_text_document_crud_and_listing(client, headers):
    r = client.post(
        "/v1/documents", json={"name": "FAQ", "content": "# Hours\n\nOpen 9 to 5."}, headers=headers
    )
    assert r.status_code == 200
    doc = r.json()
    assert doc["type"] == "text" and doc["usedBy"] == [] and doc["content"].startswith("# Hours")
    second = client.post(
        "/v1/documents", json={"name": "B", "content": "Beta text."}, headers=headers
    ).json()

    r = client.patch(
        f"/v1/documents/{doc['id']}", json={"content": "Open 8 to 6."}, headers=headers
    )
    assert r.status_code == 204
    got = client.get(f"/v1/documents/{doc['id']}", headers=headers).json()
    assert got["content"] == "Open 8 to 6." and got["name"] == "FAQ"
    assert got["updatedAt"] >= doc["updatedAt"]

    page = client.get("/v1/documents?limit=1&sort=createdAt&order=asc", headers=headers).json()
    assert [d["id"] for d in page["data"]] == [doc["id"]] and page["nextCursor"]
    assert "content" not in page["data"][0]
    rest = client.get(
        f"/v1/documents?limit=1&sort=createdAt&order=asc&cursor={page['nextCursor']}",
        headers=headers,
    ).json()
    assert [d["id"] for d in rest["data"]] == [second["id"]] and rest["nextCursor"] is None
    newest = client.get("/v1/documents?limit=5&sort=updatedAt&order=desc", headers=headers)
    assert newest.json()["data"][0]["id"] == doc["id"]  # patched last

    assert client.delete(f"/v1/documents/{doc['id']}", headers=headers).status_code == 204
    assert client.get(f"/v1/documents/{doc['id']}", headers=headers).status_code == 404


def test_documents_are_private_to_the_organization(client, headers, settings):
    from kinema.platform import accounts, db

    doc = client.post(
        "/v1/documents", json={"name": "Secret", "content": "Code 4711."}, headers=headers
    ).json()
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "other", credits=10)
        _, other = accounts.create_key(s, org.id)
    h2 = {**headers, "Authorization": f"Bearer {other}"}
    assert client.get(f"/v1/documents/{doc['id']}", headers=h2).status_code == 404
    assert client.get("/v1/documents?limit=5", headers=h2).json()["data"] == []


def test_pdf_upload_becomes_a_file_document(client, headers):
    pdf = pdf_bytes("The observatory opens at dusk every Friday.")
    r = client.post(
        "/v1/documents/upload",
        files={"file": ("handbook.pdf", pdf, "application/pdf")},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["type"] == "file" and "opens at dusk every Friday" in doc["content"]
    assert doc["source"] == "handbook.pdf"


def test_url_upload(client, headers, tmp_path):
    (tmp_path / "page.md").write_text("# Parking\n\nParking is free after 6 pm on weekdays.\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(tmp_path), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/page.md"
        r = client.post("/v1/documents/upload", json={"url": url}, headers=headers)
    finally:
        server.shutdown()
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "file" and "free after 6 pm" in r.json()["content"]
    assert r.json()["name"] == "Parking"


@pytest.mark.parametrize(
    "files, message",
    [
        ({"file": ("empty.txt", b"", "text/plain")}, "empty"),
        ({"file": ("pic.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")}, ""),
    ],
)
def test_bad_files_are_400(client, headers, files, message):
    r = client.post("/v1/documents/upload", files=files, headers=headers)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"].lower()


def test_empty_and_too_large_text_are_400(client, headers, settings: Settings):
    r = client.post("/v1/documents", json={"name": "E", "content": "   "}, headers=headers)
    assert r.status_code == 400 and "empty" in r.json()["error"]
    settings.max_document_bytes = 100
    r = client.post("/v1/documents", json={"name": "L", "content": "word " * 50}, headers=headers)
    assert r.status_code == 400 and "limit is 100 bytes" in r.json()["error"]
    r = client.post(
        "/v1/documents/upload",
        files={"file": ("big.txt", b"x" * 500, "text/plain")},
        headers=headers,
    )
    assert r.status_code == 400 and "limit" in r.json()["error"]


def test_used_by_and_delete_detaches(client, headers, settings):
    doc = client.post(
        "/v1/documents", json={"name": "D", "content": "Some facts."}, headers=headers
    ).json()
    avatar = make_avatar(client, headers, settings, documentIds=[doc["id"]])
    used = client.get(f"/v1/documents/{doc['id']}", headers=headers).json()["usedBy"]
    assert [u["id"] for u in used] == [avatar["id"]] and used[0]["name"] == "Albert"
    assert used[0]["imageUrl"].startswith("http")
    client.delete(f"/v1/documents/{doc['id']}", headers=headers)
    after = client.get(f"/v1/avatars/{avatar['id']}", headers=headers).json()
    assert after["documentIds"] == []
