"""Every shell and Python block of the README runs offline as written, against a fresh
``kinema serve`` (``readme_blocks`` says what the test does for the reader)."""

from __future__ import annotations

import pytest
from conformance_server import start_server
from readme_blocks import ROOT, blocks, prepare, run_all

pytestmark = pytest.mark.slow

README = ROOT / "README.md"
BLOCKS = blocks(README)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("readme_home")
    srv = start_server(home, KINEMA_WORKERS="1")
    work = tmp_path_factory.mktemp("readme_work")
    try:
        prepare(work, BLOCKS)
        results = run_all(BLOCKS, work, url=srv.url, key=srv.key, home=home)
    finally:
        srv.stop()
    lines = [f"{'ok' if o.ok else 'FAIL':4} {o.seconds:5.1f} s  {b}" for b, o in results.items()]
    print("\nREADME blocks:\n" + "\n".join(lines))
    return results


def test_readme_has_runnable_blocks() -> None:
    runnable = [b for b in BLOCKS if b.skip is None]
    assert sum(b.lang == "shell" for b in runnable) >= 3
    assert sum(b.lang == "python" for b in runnable) >= 1


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs(block, outcomes) -> None:
    if block.skip:
        pytest.skip(block.skip)
    outcome = outcomes[block.id]
    where = f"README line {block.line} ({block.lang})"
    assert outcome.ok, f"{where}:\n{block.code}\n---\n{outcome.detail}"
