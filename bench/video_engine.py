"""Compositor throughput: seconds of video rendered per second of wall time (realtime factor).

    python bench/video_engine.py [--duration 5] [--presets fast,quality] [--threads 0]

Each run is a full ``generate()``: scene build (segmentation, inpainting, grades), every frame
and the H.264 encode. Targets on a 2-core machine: fast >= 3x realtime at 1280x720,
quality >= 1x. Figures are noisy when other processes share the cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from skimage import data

from kinema.video import GenerationRequest, generate

SIZES = [(1280, 720), (720, 1280), (960, 960)]
PROMPTS = {
    "image": "slow push in, golden hour, rain",
    "text": "a red car on a road at night, neon, pan right",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--presets", default="fast,quality")
    ap.add_argument("--threads", type=int, default=0, help="cv2 threads (0 = OpenCV default)")
    args = ap.parse_args()
    portrait = data.astronaut()
    # warm-up: imports, the segmentation model and OpenCV tables load once per worker process
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        generate(
            GenerationRequest(
                kind="video",
                prompt="rain",
                width=320,
                height=180,
                duration=0.25,
                first_frame=portrait,
            ),
            Path(tmp),
        )
        print(f"warm-up (once per process): {time.perf_counter() - t0:.2f}s")
    print(f"load average before: {os.getloadavg()[0]:.1f} (other processes share the cores)")
    print(f"{'preset':8} {'size':>10} {'input':6} {'wall':>7} {'cpu':>7} {'x realtime':>10}")
    for preset in args.presets.split(","):
        for w, h in SIZES:
            for kind, prompt in PROMPTS.items():
                req = GenerationRequest(
                    kind="video",
                    prompt=prompt,
                    width=w,
                    height=h,
                    duration=args.duration,
                    preset=preset,
                    seed=1,
                    first_frame=portrait if kind == "image" else None,
                    options={"threads": args.threads},
                )
                with tempfile.TemporaryDirectory() as tmp:
                    t0, c0 = time.perf_counter(), time.process_time()
                    generate(req, Path(tmp))
                    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
                print(
                    f"{preset:8} {f'{w}x{h}':>10} {kind:6} {dt:>6.2f}s {cpu:>6.2f}s "
                    f"{args.duration / dt:>9.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
