"""Run the ``runwayml`` SDK's own generated test suite (``tests/api_resources`` of its sdist)
against a real ``kinema serve`` and classify every failure.

The suite is generated for a mock server that accepts any placeholder id and any
``https://example.com`` URL, and it exercises every third-party model Runway resells. Against a
real server most of it must fail; what matters is *how*. Every failure must fall into one of the
classes below (each an honest answer of a real server), and none may be a 5xx, a response the SDK
cannot parse, or anything else.

The sdist is downloaded by ``scripts/test`` into ``.cache/sdists/`` (gitignored); running the
suite needs no network. The SDK's own files are extracted into a temporary folder at run time and
never committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SDK_VERSION = "5.24.0"
SDIST_SHA256 = "39fc587fa575a3262c75864630f4f0916cc12b5352e5b6ce42f226a274113797"
ROOT = Path(__file__).resolve().parents[2]
SDIST_DIR = ROOT / ".cache" / "sdists"
HERE = Path(__file__).resolve().parent

# (class, status, pattern on the error message). First match wins; order matters.
CLASSES: list[tuple[str, int, re.Pattern[str]]] = [
    # a route of Runway's this server does not serve: a 400 naming the feature
    ("route not offered", 400, re.compile(r"^Not offered by this server \(Kinema, self-hosted\)")),
    # a third-party model name (veo3.1, kling..., gpt_image_2 ...)
    ("model not offered", 400, re.compile(r"^Invalid parameter 'model': '[^']+' is not supported")),
    # the mock's placeholder ids ("182bd5e5-...", "id"): the resource does not exist
    ("placeholder id", 404, re.compile(r"^\w+( \w+)*( '[^']+')? not found\.$")),
    # a served route refuses an option this server has no engine or policy for
    (
        "option not offered",
        400,
        re.compile(
            r"^Invalid parameter 'avatar': Runway's preset avatars are not available"
            r"|^integration: external ElevenLabs/LiveKit integrations are not supported"
            r"|^Invalid parameter 'keyframes': not available on this server"
            r"|^Invalid parameter 'audio': this server's storyboard engine renders picture only"
            r"|^Invalid parameter 'languageCode': no voice speaks '[^']+' on this server"
            r"|^Invalid parameter 'consent': a voice sample needs the speaker's consent"
        ),
    ),
    # the mock's placeholder values a real server checks: cursor "cursor", equal dates,
    # shot durations that do not add up to the video's duration
    (
        "placeholder value",
        400,
        re.compile(
            r"^Invalid parameter 'cursor'\.$"
            r"|^Invalid parameter '(endDate|beforeDate)': must be after startDate"
            r"|^Invalid parameter 'shots': the shot durations add up to"
        ),
    ),
]
# the example URLs (https://example.com/...): unreachable offline, not media when online
EXAMPLE_URL = re.compile(r"^(?P<field>[A-Za-z][\w.]*): (?!.*not supported)")
FAILING = ("server error", "parse error", "unclassified")


@dataclass
class SuiteResult:
    total: int
    passed: int
    skipped: int
    seconds: float
    classes: Counter[str] = field(default_factory=Counter)
    by_message: Counter[tuple[str, str]] = field(default_factory=Counter)
    bad: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def table(self) -> str:
        lines = [
            f"runwayml {SDK_VERSION} generated suite: {self.total} tests in {self.seconds:.0f} s; "
            f"{self.passed} passed, {self.skipped} skipped, "
            f"{self.total - self.passed - self.skipped} failed"
        ]
        lines += [f"  {n:5d}  {name}" for name, n in sorted(self.classes.items())]
        return "\n".join(lines)


def sdist_path() -> Path | None:
    path = SDIST_DIR / f"runwayml-{SDK_VERSION}.tar.gz"
    return path if path.is_file() else None


def extract(sdist: Path, dest: Path) -> Path:
    """The suite's files (tests/ and the pytest settings in pyproject.toml) into ``dest``."""
    prefix = f"runwayml-{SDK_VERSION}/"
    with tarfile.open(sdist) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith(prefix + "tests/") or m.name == prefix + "pyproject.toml"
        ]
        tar.extractall(dest, members=members, filter="data")
    return dest / prefix.rstrip("/")


def classify(failure: dict[str, Any], offered_models: set[str]) -> str:
    kind = failure.get("kind")
    if kind == "parse" or (
        kind == "other" and "assert_matches_type" in failure.get("traceback", "")
    ):
        return "parse error"
    if kind != "status":
        return "unclassified"
    status, message = failure["status"], failure.get("error") or ""
    if status >= 500:
        return "server error"
    for name, code, pattern in CLASSES:
        if status == code and pattern.search(message):
            return name
    if status == 400:
        model = failure.get("model")
        if model and model not in offered_models:
            # a shape that only a third-party model takes (e.g. duration "auto" for seedance2)
            # is refused by the body validation before the model check: still a model not offered
            return "model not offered (its shape refused first)"
        if failure.get("example_url") and EXAMPLE_URL.match(message):
            return "example URL"
    return "unclassified"


def run_suite(
    base_url: str, key: str, work: Path, *, select: list[str] | None = None, timeout: float = 600
) -> SuiteResult:
    """Run the suite (or the ``select``-ed test files/ids) against ``base_url`` and classify."""
    from kinema.config import DEFAULT_MODELS

    sdist = sdist_path()
    if sdist is None:
        raise FileNotFoundError(f"runwayml-{SDK_VERSION}.tar.gz not in {SDIST_DIR}")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise RuntimeError(f"{sdist} has sha256 {digest}, expected {SDIST_SHA256}")
    root = extract(sdist, work)
    report = work / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KINEMA_", "RUNWAYML_"))}
    env.update(
        TEST_API_BASE_URL=base_url,
        KINEMA_SDK_KEY=key,
        KINEMA_SDK_REPORT=str(report),
        PYTHONPATH=str(HERE),
        PYTHONDONTWRITEBYTECODE="1",
    )
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-o",
        "addopts=",  # the SDK's own addopts want pytest-xdist (-n auto)
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",  # its conftest logs every request at DEBUG: capturing that is the slow part
        "-p",
        "kinema_sdk_plugin",
        "--tb=no",
        "-rN",
        *(select or ["tests/api_resources"]),
    ]
    start = time.monotonic()
    proc = subprocess.run(
        args, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1) or not report.is_file():
        raise RuntimeError(f"the SDK suite did not run (exit {proc.returncode}):\n{proc.stdout}")
    results: dict[str, dict[str, Any]] = json.loads(report.read_text())
    offered = set(DEFAULT_MODELS)
    out = SuiteResult(total=len(results), passed=0, skipped=0, seconds=seconds)
    for nodeid, entry in results.items():
        if entry["outcome"] == "passed":
            out.passed += 1
            continue
        if entry["outcome"] == "skipped":
            out.skipped += 1
            continue
        failure = entry.get("failure", {"kind": "other"})
        name = classify(failure, offered)
        out.classes[name] += 1
        out.by_message[(name, (failure.get("error") or failure.get("text", ""))[:100])] += 1
        if name in FAILING:
            out.bad.append((nodeid, name, failure))
    return out
