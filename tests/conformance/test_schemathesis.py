"""A bounded schemathesis run against a real ``kinema serve``: every operation of its OpenAPI
document, a fixed example budget, a fixed seed and a time limit. 0 server errors and 0 schema
violations: every status, content type, header and body the server answers is the one its
document declares, ``OPTIONS`` / unsupported methods carry a correct ``Allow``, and no
schema-violating request is accepted.

Not gated: schemathesis's ``positive_data_acceptance`` — schema-valid requests with placeholder
ids, unreachable URLs or not-offered routes are refused, as a real server must (57 operations).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conformance_server import API_ONLY, start_server

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 20  # per operation and phase
SEED = 20241106
TIME_LIMIT_S = 240
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "allow_header_conformance",
    "unsupported_method",
    "missing_required_header",
    "negative_data_rejection",
]


@pytest.fixture(scope="module")
def st_server(tmp_path_factory: pytest.TempPathFactory):
    # tasks stay THROTTLED (max concurrent 0): the run checks the API, not the renderer
    srv = start_server(tmp_path_factory.mktemp("schemathesis"), **API_ONLY)
    yield srv
    srv.stop()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(st_server, tmp_path: Path):
    pytest.importorskip("schemathesis")
    schema = httpx.get(st_server.url + "/openapi.json", timeout=30).json()
    operations = sum(
        1 for item in schema["paths"].values() for method in item if method != "parameters"
    )
    report = tmp_path / "report.json"
    cmd = [
        sys.executable,
        "-c",
        "from schemathesis.cli import schemathesis; schemathesis()",
        "run",
        st_server.url + "/openapi.json",
        "-H",
        f"Authorization: Bearer {st_server.key}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    proc = subprocess.run(
        cmd,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S,
        check=False,
    )
    assert report.is_file(), proc.stdout[-4000:] + proc.stderr[-2000:]
    result = json.loads(report.read_text())
    cases = result["test_cases"]
    summary = (
        f"schemathesis: {result['operations']['tested']}/{operations} operations, "
        f"{cases['generated']} cases in {result['running_time']:.0f} s, "
        f"{cases['with_failures']} with failures, {cases['errored']} errored"
    )
    print("\n" + summary)
    failures = "\n".join(
        f"{f['code']} {f['title']}: {', '.join(f['operations'][:8])}" for f in result["failures"]
    )
    assert not result["failures"], f"{summary}\n{failures}\n{proc.stdout[-6000:]}"
    assert not result["errors"], f"{summary}\n{result['errors']}\n{proc.stdout[-6000:]}"
    assert result["complete"] and result["operations"]["tested"] == operations
    assert cases["generated"] >= 10 * operations
    server_errors = [line for line in st_server.lines if '" 5' in line and "HTTP/1.1" in line]
    assert not server_errors, server_errors[:5]
