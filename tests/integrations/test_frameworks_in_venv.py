"""Runs the Pipecat and LiveKit tests (tests/integrations/frameworks) with the real packages,
in the venv scripts/test builds for them (they need protobuf >= 5, see requirements-
integrations.txt); where the frameworks are importable here they are collected directly."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv-integrations" / "bin" / "python"


@pytest.mark.slow
def test_pipecat_and_livekit_pipelines_in_their_environment() -> None:
    if importlib.util.find_spec("pipecat") and importlib.util.find_spec("livekit"):
        pytest.skip("the frameworks are importable here: tests/integrations/frameworks ran")
    if not VENV_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail("no .venv-integrations: scripts/test builds it")
        pytest.skip("no .venv-integrations (scripts/test builds it)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    r = subprocess.run(
        [
            str(VENV_PYTHON),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "tests/integrations/frameworks",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    sys.stdout.write(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    summary = r.stdout.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    assert passed >= 5 and "skipped" not in summary, summary
