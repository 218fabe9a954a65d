"""The official ``runwayml`` SDK's own generated tests (all of ``tests/api_resources`` in its
5.24.0 sdist, 3,009 tests) against a real ``kinema serve``: no 5xx, no response the SDK cannot
parse, and every failure one of the expected answers of a real server (``sdk_suite.CLASSES``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance_server import API_ONLY, start_server
from sdk_suite import SDK_VERSION, run_suite, sdist_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sdk_server(tmp_path_factory: pytest.TempPathFactory):
    import runwayml

    if sdist_path() is None:
        pytest.skip(f"runwayml-{SDK_VERSION}.tar.gz not downloaded (scripts/test fetches it)")
    assert runwayml.__version__ == SDK_VERSION
    # the suite creates ~150 tasks (TTS, text_to_video, ...): see API_ONLY
    srv = start_server(tmp_path_factory.mktemp("sdk_suite"), **API_ONLY)
    yield srv
    srv.stop()


def test_sdk_generated_suite_against_kinema_serve(sdk_server, tmp_path: Path) -> None:
    result = run_suite(sdk_server.url, sdk_server.key, tmp_path)
    print("\n" + result.table())
    assert result.total == 3009, "the sdist's suite changed size"
    bad = "\n".join(f"{name}: {nodeid}: {failure}" for nodeid, name, failure in result.bad[:20])
    assert not result.bad, f"{len(result.bad)} failures are not expected answers:\n{bad}"
    # the served resources really answer: retrieve/list/create calls of the SDK pass
    assert result.passed >= 300
    server_errors = [line for line in sdk_server.lines if '" 5' in line and "HTTP/1.1" in line]
    assert not server_errors, server_errors[:5]


def test_classifier_fails_what_it_must() -> None:
    """A 5xx, a parse failure or an unknown 400 is never an expected class."""
    from sdk_suite import FAILING, classify

    offered = {"gen4.5"}
    cases = {
        "server error": {"kind": "status", "status": 500, "error": "An internal error occurred."},
        "parse error": {"kind": "parse", "text": "Data returned by API invalid"},
        "unclassified": {"kind": "status", "status": 400, "error": "Invalid parameter 'ratio'."},
    }
    for expected, failure in cases.items():
        assert classify(failure, offered) == expected
        assert expected in FAILING
    # a bare 404 (a route that is missing) is no placeholder id
    assert classify({"kind": "status", "status": 404, "error": "Not found."}, offered) == (
        "unclassified"
    )
    assert classify({"kind": "other", "traceback": "ConnectError"}, offered) == "unclassified"
    # the expected answers
    assert classify({"kind": "status", "status": 404, "error": "Task not found."}, offered) == (
        "placeholder id"
    )
    refused = {"kind": "status", "status": 400, "error": "Invalid parameter 'duration': x."}
    assert classify({**refused, "model": "veo3.1"}, offered).startswith("model not offered")
    assert classify({**refused, "model": "gen4.5"}, offered) == "unclassified"
    url = {"kind": "status", "status": 400, "error": "imageUri: cannot resolve host 'example.com'."}
    assert classify({**url, "example_url": True}, offered) == "example URL"
    assert classify({**url, "example_url": False}, offered) == "unclassified"
