"""Nothing reaches for the network: the neural voice (Piper), the ears (Whisper tiny.en) and the
embedder (MiniLM) load and run in a fresh process whose sockets refuse every connection and
every name lookup, and which records any attempt. A fresh process, so no model is already
cached by another test; hub libraries are told nothing (no offline variables are set), so a
hidden download would show up as an attempt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = r"""
import json, socket, sys
attempts = []

def refuse(kind):
    def blocked(*args, **kwargs):
        attempts.append([kind, repr(args[1:] if kind.startswith("socket.") else args)[:200]])
        raise OSError(f"network access blocked by the test ({kind})")
    return blocked

for name in ("connect", "connect_ex", "sendto", "sendmsg"):
    setattr(socket.socket, name, refuse("socket." + name))
for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
    setattr(socket, name, refuse(name))

report = {}
try:
    from kinema.knowledge.embed import MiniLMEmbedder
    from kinema.knowledge.chunk import chunk_text
    from kinema.knowledge.index import SqliteIndex
    embedder = MiniLMEmbedder()
    index = SqliteIndex(":memory:", embedder=embedder)
    index.add("org", "shop", "Shop", chunk_text(
        "# Returns\nYou can return any telescope within 45 days for a full refund."))
    hits = index.search("org", "What is your return policy?")
    report["embedding"] = bool(hits) and "45 days" in hits[0].text

    from kinema.voice.tts import get_tts
    text = "Please return the telescope within forty five days."
    speech = get_tts("piper").synthesize(text, "emma")
    report["tts_seconds"] = speech.audio.duration

    from kinema.voice.asr import get_asr
    heard = get_asr("whisper").transcribe(speech.audio)
    report["asr_text"] = heard.text
except Exception as exc:
    report["error"] = f"{type(exc).__name__}: {exc}"
report["attempts"] = list(attempts)
try:  # the control: the guard does see a real attempt (nothing leaves: it is refused first)
    import urllib.request
    urllib.request.urlopen("http://example.invalid/", timeout=1)
except OSError:
    pass
report["control_seen"] = len(attempts) > len(report["attempts"])
print("REPORT " + json.dumps(report))
"""


@pytest.mark.slow
def test_tts_asr_and_embedding_run_with_the_network_blocked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["KINEMA_HOME"] = str(tmp_path / "home")
    env["HOME"] = str(tmp_path)  # no hub cache of a developer's to fall back on
    done = subprocess.run(
        [sys.executable, "-c", GUARD],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("REPORT ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(line.removeprefix("REPORT "))
    assert "error" not in report, report
    assert report["control_seen"] is True  # the guard works
    assert report["attempts"] == [], report["attempts"]
    assert report["embedding"] is True
    assert report["tts_seconds"] > 1.0
    assert "telescope" in report["asr_text"].lower()
