"""``kinema upscale`` and ``kinema isolate-voice`` write the files they say."""

from __future__ import annotations

import os
import subprocess
import sys

from kinema.media.image import encode_image, load_image


def test_cli_upscale_and_isolate(tmp_path, speech_wav):
    from skimage import data as skdata

    src = tmp_path / "small.png"
    src.write_bytes(encode_image(skdata.astronaut()[::4, ::4]))
    wav = tmp_path / "speech.wav"
    wav.write_bytes(speech_wav)
    env = {**os.environ, "KINEMA_HOME": str(tmp_path / "home")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "kinema", *a], env=env, check=True,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)  # fmt: skip
    out = run("upscale", str(src), "-o", str(tmp_path / "big.png"), "--scale", "4")
    assert "back-projection" in out.stdout
    assert load_image((tmp_path / "big.png").read_bytes()).shape == (512, 512, 3)
    run("isolate-voice", str(wav), "-o", str(tmp_path / "voice.wav"))
    assert (tmp_path / "voice.wav").stat().st_size > 1000
