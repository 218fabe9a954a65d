"""Face render benchmark: ms/frame p50/p95 at 256/512/720 on one core, and full `speak` fps.

Run: python bench/face_render.py [--frames 200]
Figures are wall-clock on a shared machine: other processes on the same cores make them noisy.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.data

from kinema.face.analyze import analyze
from kinema.face.motion import Animator
from kinema.face.render import Renderer
from kinema.face.rig import Rig
from kinema.face.talk import render_talking_clip
from kinema.voice.tts import DEFAULT_VOICE, get_tts

TEXT = (
    "Good morning. I am a portrait that learned to speak, and I would be happy to tell you "
    "about the weather, the stars, or probably anything at all."
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    rig = Rig.build(None, analyze(skimage.data.astronaut()))
    print(
        f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"(on {os.cpu_count()} cores; figures are noisy when others run)"
    )
    tts = get_tts()
    speech = tts.synthesize(TEXT, DEFAULT_VOICE)
    anim = Animator(seed=1)
    anim.say(speech.phonemes, 0.0)
    controls = [anim.controls_at(i / 24) for i in range(args.frames)]
    t0 = time.perf_counter()
    for i in range(args.frames):
        anim.controls_at(i / 24)
    motion_ms = (time.perf_counter() - t0) * 1000 / args.frames
    print(f"motion: {motion_ms:.3f} ms/frame (Animator.controls_at)")
    for size in (256, 512, 720):
        r = Renderer(rig, size)
        for c in controls[:10]:
            r.render(c)
        times, cpu = [], []
        for c in controls:
            t, tc = time.perf_counter(), time.process_time()
            r.render(c)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - tc) * 1000)
        p50, p95 = np.percentile(times, [50, 95])
        c50, c95 = np.percentile(cpu, [50, 95])
        print(
            f"render {size}x{size}: wall p50 {p50:.2f} ms p95 {p95:.2f} ms | "
            f"cpu p50 {c50:.2f} ms p95 {c95:.2f} ms  (1 OpenCV thread)"
        )
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        sp = tts.synthesize(TEXT, DEFAULT_VOICE)
        out = render_talking_clip(rig, sp, Path(d) / "speak.mp4", fps=24, size=512)
        el = time.perf_counter() - t
        n = round(sp.audio.duration * 24)
        print(
            f"speak 512 @24fps: {n} frames in {el:.2f} s = {n / el:.1f} frames/s "
            f"({sp.audio.duration / el:.2f}x real time; TTS+motion+render+encode, 1 thread "
            f"for OpenCV) -> {out.stat().st_size // 1024} KiB"
        )


if __name__ == "__main__":
    main()
