"""Diffusers engine timings: model load, seconds per denoising step, whole generate().

    python bench/diffusers_engine.py --model-path /models/ltx-video --preset ltx \
        [--size 768x512] [--seconds 5] [--fps 24] [--steps 40] [--image] [--device auto]

Use it on a GPU host with a real checkpoint. With ``--tiny DIR`` it builds the tiny random LTX
of the tests into DIR and times that instead (checks the plumbing; the figures say nothing about
real models). Figures are noisy when other processes share the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from kinema.config import Settings
from kinema.video import GenerationRequest
from kinema.video.engines.diffusers_engine import DiffusersEngine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", default="")
    ap.add_argument("--tiny", default="", help="build the tests' tiny random LTX here and use it")
    ap.add_argument("--preset", default="ltx", choices=["ltx", "wan"])
    ap.add_argument("--size", default="768x512")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--image", action="store_true", help="image-to-video from an astronaut photo")
    args = ap.parse_args()

    path = args.model_path
    if args.tiny:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.video_diffusers.tiny_models import save_tiny_ltx

        path = str(Path(args.tiny))
        if not (Path(path) / "model_index.json").exists():
            save_tiny_ltx(Path(path))
    settings = Settings(
        diffusers_model_path=path, diffusers_device=args.device, diffusers_steps=args.steps
    )
    engine = DiffusersEngine(settings)
    width, height = (int(v) for v in args.size.split("x"))
    first = None
    if args.image:
        from skimage.data import astronaut

        first = astronaut()
    req = GenerationRequest(
        kind="video",
        prompt="a red fox runs along a beach at sunset, slow tracking shot",
        width=width,
        height=height,
        duration=args.seconds,
        fps=args.fps,
        preset=args.preset,
        first_frame=first,
    )
    marks: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = engine.generate(
            req, Path(tmp) / "cold", lambda p: marks.append((p, time.perf_counter()))
        )
        cold = time.perf_counter() - t0
        marks.clear()
        t0 = time.perf_counter()
        result = engine.generate(
            req, Path(tmp) / "warm", lambda p: marks.append((p, time.perf_counter()))
        )
        warm = time.perf_counter() - t0
    plan = result.plan
    steps = [t for p, t in marks if p <= 0.9 + 1e-9]
    per_step = (steps[-1] - steps[0]) / (len(steps) - 1) if len(steps) > 1 else float("nan")
    encode = marks[-1][1] - steps[-1] if steps else float("nan")
    print(
        f"{plan['pipeline']} on {plan['device']}/{plan['dtype']}: model {plan['model_size'][0]}x"
        f"{plan['model_size'][1]}x{plan['model_frames']} frames -> {width}x{height}x"
        f"{plan['output_frames']} @ {args.fps} fps, {plan['steps']} steps"
    )
    print(f"first generate (with load): {cold:.2f} s   warm generate: {warm:.2f} s")
    print(f"per step: {per_step:.3f} s   decode+encode after last step: {encode:.2f} s")
    print(f"realtime factor (warm): {args.seconds / warm:.3f}x")


if __name__ == "__main__":
    main()
