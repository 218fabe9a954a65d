"""Compositor throughput: seconds of video rendered per second of wall time (realtime factor).

    python bench/video_engine.py [--duration 5] [--presets fast,quality] [--threads 0]
    python bench/video_engine.py --sheet sheet.png   # a contact sheet of sample prompts, no timing

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


SHEET = [
    ("image", "slow push in, golden hour, rain"),
    ("text", "a red car on a road at night, neon"),
    ("text", "a house and trees on a hill at golden hour, fog, pan left"),
    ("text", "wide shot of a boat on the sea at sunset, a person walks right"),
    ("refs", "@hero standing in @room at night"),
]


def contact_sheet(path: Path) -> None:
    """Four frames (first, 1/3, 2/3, last) of each sample prompt, 320x180 each, one row each."""
    import cv2
    import numpy as np

    from kinema.media.image import encode_image, load_image
    from kinema.media.video import read_frames
    from kinema.video import Reference

    rows = []
    for kind, prompt in SHEET:
        refs = (
            [
                Reference(data.astronaut(), "hero", "character"),
                Reference(data.coffee(), "room", "location"),
            ]
            if kind == "refs"
            else []
        )
        req = GenerationRequest(
            kind="image" if kind == "refs" else "video",
            prompt=prompt,
            width=640,
            height=360,
            duration=2.0,
            seed=1,
            references=refs,
            first_frame=data.astronaut() if kind == "image" else None,
        )
        with tempfile.TemporaryDirectory() as tmp:
            res = generate(req, Path(tmp))
            if req.kind == "video":
                frames, _ = read_frames(res.files[0])
                picks = [frames[i] for i in (0, len(frames) // 3, 2 * len(frames) // 3, -1)]
            else:
                picks = [load_image(res.files[0])]
        tiles = [cv2.resize(f, (320, 180), interpolation=cv2.INTER_AREA) for f in picks]
        tiles += [np.zeros((180, 320, 3), np.uint8)] * (4 - len(tiles))
        row = np.hstack(tiles)
        cv2.putText(
            row,
            prompt[:70],
            (6, 172),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            (255, 255, 0),
            1,
            cv2.LINE_AA,
        )
        rows.append(row)
        print(f"{prompt!r}: understood {res.understood}, ignored {res.ignored}")
    path.write_bytes(encode_image(np.vstack(rows), "PNG"))
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--presets", default="fast,quality")
    ap.add_argument("--threads", type=int, default=0, help="cv2 threads (0 = OpenCV default)")
    ap.add_argument("--sheet", type=Path, help="write a contact sheet PNG instead of timing")
    args = ap.parse_args()
    if args.sheet:
        contact_sheet(args.sheet)
        return
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
    print("x realtime = duration / wall; x per core = duration / CPU seconds (the factor with one")
    print("free core; two free cores do better since the encoder has its own thread)")
    print(
        f"{'preset':8} {'size':>10} {'input':6} {'wall':>7} {'cpu':>7} {'x realtime':>10} "
        f"{'x per core':>10}"
    )
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
                    f"{args.duration / dt:>9.2f}x {args.duration / cpu:>9.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
