"""Every SDK 5.24 route this server does not serve answers a 400 naming the feature (never a
bare 404); the SDK's own route list is read from the installed package's api.md-like types."""

from __future__ import annotations

import re

import pytest

from kinema.api.runway_v1.unoffered import UNOFFERED

ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(("method", "path", "feature", "instead"), UNOFFERED)
def test_unoffered_route_names_the_feature(client, headers, method, path, feature, instead):
    url = "/v1" + re.sub(r"\{[^}]+\}", ID, path)
    body = {} if method in ("POST", "PATCH") else None
    r = client.request(method, url, headers=headers, json=body)
    assert r.status_code == 400, (method, url, r.text)
    msg = r.json()["error"]
    assert feature in msg and "not offered by this server" in msg.lower() and instead in msg


def test_unoffered_routes_still_need_a_key(client):
    r = client.post("/v1/sound_effect", headers={"X-Runway-Version": "2024-11-06"}, json={})
    assert r.status_code == 401


def test_sdk_routes_never_answer_a_bare_404(client, headers):
    """Walk the installed SDK's resources: each method's path answers something other than 404
    'Not found.' (a placeholder id may still give a 404 that names the missing object)."""
    import inspect

    import runwayml.resources as res

    paths: set[tuple[str, str]] = set()
    for mod in vars(res).values():
        if not inspect.ismodule(mod):
            continue
        src = inspect.getsource(mod)
        for verb, p in re.findall(
            r'self\._(get|post|patch|delete)\(\s*(?:path_template\()?f?"(/v1/[^"]+)"', src
        ):
            paths.add((verb.upper(), re.sub(r"\{[^}]+\}", ID, p)))
    assert len(paths) > 30
    for verb, url in sorted(paths):
        body = {} if verb in ("POST", "PATCH") else None
        r = client.request(verb, url, headers=headers, json=body)
        bare = r.status_code == 404 and r.json().get("error") == "Not found."
        assert not bare and r.status_code != 405, (verb, url, r.status_code, r.text[:200])
        assert r.status_code < 500, (verb, url, r.text[:200])
