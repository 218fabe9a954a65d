"""Extract the README's shell and Python code blocks and run them, offline, as a reader would.

Read at run time, so the test follows the README as it is edited. What the test does for the
reader, and nothing more:

- a fresh ``kinema serve`` is running; ``$KEY`` holds its first key (the README says how to get
  one), ``KINEMA_HOME`` is its data folder, and the README's ``http://127.0.0.1:8000`` is
  replaced by that server's address (another port, so tests never collide on 8000);
  ``api_key="key_..."`` becomes that key;
- the reader's own files that the blocks name (``portrait.jpg``, ``dog.jpg``, ``handbook.pdf``,
  ``story.yaml`` ...) exist in the working folder: portraits and the dog (with its points) from
  ``tests/data``, a small PDF, and the storyboard example of ``docs/video.md``;
- shell blocks run with ``bash -e -o pipefail`` (the first failing command fails the block), and
  every ``curl`` answer with a status of 400 or more fails it too; Python blocks run one after
  the other in one interpreter, as pasted into one session (a later block may use an earlier
  block's ``client``).

Blocks that install packages, start a long-running server or need services this machine does
not have are skipped, each with its reason (``SKIP``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
README_URL = "http://127.0.0.1:8000"
SHELL = {"bash", "sh", "shell", "console"}
PYTHON = {"python", "py", "python3"}

# (pattern in the block, why it is not run)
SKIP: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bpip install\b"), "installs packages (the test runs in that installation)"),
    (
        re.compile(r"^\s*(\w+=\S+\s+|\\\n\s*)*kinema serve\b", re.M),
        "starts a long-running server (the test's own server is `kinema serve`)",
    ),
    (re.compile(r"^\s*scripts/test\b", re.M), "runs the whole test suite"),
]
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```", re.M | re.S)
MEDIA = re.compile(
    r"(?<![\w/.-])([\w-]+(?:\.[\w-]+)*\.(?:jpe?g|png|pdf|docx|ya?ml|json|mp4|wav))\b"
)
OUTPUT = re.compile(r"(?:-o|--out(?:put)?)\s+(\S+)")


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    lang: str  # "shell" | "python"
    code: str
    heading: str

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")[:40]
        return f"L{self.line}-{self.lang}-{slug}"

    @property
    def skip(self) -> str | None:
        for pattern, reason in SKIP:
            if pattern.search(self.code):
                return reason
        return None


def _headings(text: str) -> list[tuple[int, str]]:
    """``(line, title)`` of the Markdown headings outside code fences."""
    out, fenced = [], False
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#+ (.+)", line)):
            out.append((i, m.group(1)))
    return out


def blocks(readme: Path) -> list[Block]:
    text = readme.read_text()
    titles = _headings(text)
    out = []
    for m in FENCE.finditer(text):
        lang = m.group(1).lower()
        kind = "shell" if lang in SHELL else "python" if lang in PYTHON else None
        if kind is None:
            continue
        start = text.count("\n", 0, m.start()) + 1
        above = [title for line, title in titles if line < start]
        out.append(Block(start, kind, m.group(2), above[-1] if above else "top"))
    return out


def adapt(code: str, url: str, key: str) -> str:
    """The reader's substitutions: this server's address and key."""
    code = code.replace(README_URL, url)
    return re.sub(r"""(api_key\s*=\s*)(["'])key_\.\.\.\2""", rf"\g<1>\g<2>{key}\g<2>", code)


def _pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    lines = [
        "Handbook",
        "Returns: any telescope can be returned within 45 days for a full refund.",
        "Shipping: orders ship within two working days.",
    ]
    for i, line in enumerate(lines):
        c.drawString(72, 770 - 20 * i, line)
    c.save()


def _storyboard(path: Path) -> None:
    """The storyboard example of docs/video.md, with its two images beside it."""
    doc = (ROOT / "docs" / "video.md").read_text()
    m = re.search(r"```yaml\n(.*?)```", doc, re.S)
    path.write_text(m.group(1) if m else "shots:\n  - prompt: a wide shot of a forest\n")
    for name in re.findall(r"image:\s*([\w.-]+)", path.read_text()):
        if not (path.parent / name).exists():
            shutil.copy(DATA / "einstein_photo.jpg", path.parent / name)


def prepare(work: Path, all_blocks: list[Block]) -> list[str]:
    """The reader's files the blocks name (not the ones a block writes). Returns their names."""
    code = "\n".join(b.code for b in all_blocks if b.skip is None)
    outputs = {Path(o).name for o in OUTPUT.findall(code)}
    portraits = [p for p in sorted(DATA.glob("*.jpg")) if "dog" not in p.name]
    made = []
    for name in sorted(set(MEDIA.findall(code)) - outputs):
        target = work / name
        low = name.lower()
        if low.endswith(".points.json") and "dog" in low:
            shutil.copy(DATA / "shiba_dog.points.json", target)
        elif low.endswith((".jpg", ".jpeg", ".png")):
            src = DATA / "shiba_dog.jpg" if "dog" in low else portraits[len(made) % len(portraits)]
            if low.endswith(".png"):
                from PIL import Image

                Image.open(src).save(target)
            else:
                shutil.copy(src, target)
        elif low.endswith(".pdf"):
            _pdf(target)
        elif low.endswith((".yaml", ".yml")):
            _storyboard(target)
        else:
            continue  # an .mp4/.wav a block makes, or a file the reader could not have
        made.append(name)
    return made


def _curl_shim(bin_dir: Path, log_dir: Path) -> None:
    real = shutil.which("curl")
    if real is None:
        return
    shim = bin_dir / "curl"
    shim.write_text(
        f'#!/usr/bin/env bash\nexec {real} -D "{log_dir}/curl-$$-$RANDOM.headers" "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)


def _kinema_shim(bin_dir: Path) -> None:
    """``kinema`` on PATH is this interpreter's (the checkout under test)."""
    shim = bin_dir / "kinema"
    shim.write_text(f'#!/usr/bin/env bash\nexec {sys.executable} -m kinema "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)


_PY_RUNNER = r"""
import contextlib, io, json, os, sys, traceback
ns = {"__name__": "__main__"}
results = os.fdopen(int(sys.argv[1]), "w")
for line in sys.stdin:
    code = json.loads(line)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            exec(compile(code, "<README block>", "exec"), ns)
        res = {"ok": True, "output": buf.getvalue()[-3000:]}
    except BaseException:
        error = traceback.format_exc()[-3000:]
        res = {"ok": False, "output": buf.getvalue()[-2000:], "error": error}
    print(json.dumps(res), file=results, flush=True)
"""


@dataclass
class Outcome:
    ok: bool
    detail: str
    seconds: float


def run_all(
    all_blocks: list[Block], work: Path, *, url: str, key: str, home: Path, timeout: float = 240
) -> dict[str, Outcome]:
    import time

    bin_dir, logs = work / ".bin", work / ".curl"
    bin_dir.mkdir()
    logs.mkdir()
    _curl_shim(bin_dir, logs)
    _kinema_shim(bin_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KINEMA_", "RUNWAYML_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        KEY=key,
        KINEMA_HOME=str(home),
        KINEMA_ALLOW_PRIVATE_URLS="true",
        PYTHONUNBUFFERED="1",
    )
    # Python blocks share one interpreter; results come back on a pipe of their own (a
    # library printing to fd 1 cannot garble them), read with a deadline
    rfd, wfd = os.pipe()
    py = subprocess.Popen(
        [sys.executable, "-c", _PY_RUNNER, str(wfd)],
        cwd=work,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        pass_fds=(wfd,),
    )
    os.close(wfd)
    replies = os.fdopen(rfd)
    results: dict[str, Outcome] = {}
    try:
        for block in all_blocks:
            if block.skip:
                continue
            code = adapt(block.code, url, key)
            start = time.monotonic()
            if block.lang == "shell":
                for f in logs.iterdir():
                    f.unlink()
                try:
                    proc = subprocess.run(
                        ["bash", "-e", "-o", "pipefail", "-c", code],
                        cwd=work,
                        env=env,
                        input="What is your return policy?\n",  # for a REPL such as kinema chat
                        capture_output=True,
                        text=True,
                        timeout=timeout,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    results[block.id] = Outcome(False, f"timed out after {timeout:.0f} s", timeout)
                    continue
                bad = _curl_errors(logs)
                out = (proc.stdout + proc.stderr)[-3000:]
                ok = proc.returncode == 0 and not bad
                detail = out if proc.returncode == 0 else f"exit {proc.returncode}:\n{out}"
                if bad:
                    detail = f"curl answers {bad}:\n{out}"
                results[block.id] = Outcome(ok, detail, time.monotonic() - start)
            else:
                res = _ask(py, replies, code, timeout)
                detail = res.get("error") or res.get("output", "")
                results[block.id] = Outcome(res["ok"], detail, time.monotonic() - start)
    finally:
        if py.stdin:
            py.stdin.close()
        try:
            py.wait(10)
        except subprocess.TimeoutExpired:
            py.kill()
            py.wait(5)
        replies.close()
    return results


def _ask(py: subprocess.Popen, replies: Any, code: str, timeout: float) -> dict[str, Any]:
    import select

    if py.poll() is not None:
        return {"ok": False, "error": "the Python session ended (an earlier block timed out)"}
    assert py.stdin
    py.stdin.write(json.dumps(code) + "\n")
    py.stdin.flush()
    ready, _, _ = select.select([replies], [], [], timeout)
    line = replies.readline() if ready else ""
    if not line:
        py.kill()
        return {"ok": False, "error": f"no answer within {timeout:.0f} s (session ended)"}
    return json.loads(line)


def _curl_errors(logs: Path) -> list[int]:
    statuses = []
    for f in sorted(logs.iterdir()):
        for m in re.finditer(r"^HTTP/[\d.]+ (\d{3})", f.read_text(errors="replace"), re.M):
            statuses.append(int(m.group(1)))
    return [s for s in statuses if s >= 400]
