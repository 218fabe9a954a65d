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
import shutil
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


STORY = [
    ("@hero, a woman walking a city street at golden hour, tracking shot", 5.0),
    ("@hero entering an office lobby @lobby, slow push in", 5.0),
    ('@hero on a rooftop at night in neon, slow push in. @hero says "Up here the city '
     'finally goes quiet."', 5.0),
]  # fmt: skip


def lobby_stand_in(w: int = 960, h: int = 540):  # noqa: ANN201 - an RGB array
    """A drawn stand-in for a user's photo of an office lobby (the compositor cannot draw one:
    the prompt is refused without it)."""
    import cv2
    import numpy as np

    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (196, 190, 178)  # back wall
    for x in range(40, w, 150):  # tall windows with daylight
        cv2.rectangle(img, (x, 60), (x + 100, int(h * 0.62)), (214, 228, 240), -1)
        cv2.rectangle(img, (x, 60), (x + 100, int(h * 0.62)), (90, 88, 84), 4)
    floor = np.array([[0, int(h * 0.62)], [w, int(h * 0.62)], [w, h], [0, h]], np.int32)
    cv2.fillPoly(img, [floor], (120, 112, 104))
    for k in range(12):  # floor tiles in perspective
        x = int(w / 2 + (k - 6) * w / 9)
        cv2.line(img, (w // 2 + (k - 6) * 30, int(h * 0.62)), (x * 2 - w // 2, h), (98, 92, 86), 2)
    cv2.rectangle(
        img, (int(w * 0.38), int(h * 0.5)), (int(w * 0.62), int(h * 0.66)), (70, 52, 40), -1
    )  # fmt: skip  (the reception desk)
    cv2.putText(img, "LOBBY", (int(w * 0.44), 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (60, 60, 60), 3)
    return img


def storyboard_sheet(path: Path) -> None:
    """The seed's three-scene storyboard (shot 2 is refused without a lobby image; then it is
    given one): four frames of each shot in a row."""
    import cv2
    import numpy as np

    from kinema.errors import KinemaError
    from kinema.media.image import encode_image
    from kinema.media.video import probe, read_frames
    from kinema.video import Reference
    from kinema.video.storyboard import Shot, Storyboard, render_storyboard

    hero = Reference(data.astronaut(), "hero", "character", 0.85)
    shots = [Shot(p, d, "crossfade" if i else "cut") for i, (p, d) in enumerate(STORY)]
    sb = Storyboard(shots, [hero], 640, 360, 24, 7, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            render_storyboard(sb, Path(tmp))
        except KinemaError as exc:
            print(f"without a lobby image: {exc}")
    sb.references.append(Reference(lobby_stand_in(), "lobby", "location", 1.0))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = render_storyboard(sb, Path(tmp))
        print(
            f"rendered {sb.duration:g} s in {time.perf_counter() - t0:.1f} s: {probe(res.files[0])}"
        )
        frames, _ = read_frames(res.files[0])
        shutil.copy(res.files[0], path.with_suffix(".mp4"))
    rows, start = [], 0
    for (prompt, dur), plan in zip(STORY, res.plan["shots"], strict=True):
        n = round(dur * 24)
        picks = [frames[min(len(frames) - 1, start + k)] for k in (6, n // 3, 2 * n // 3, n - 8)]
        row = np.hstack([cv2.resize(f, (320, 180), interpolation=cv2.INTER_AREA) for f in picks])
        cv2.putText(row, prompt[:88], (6, 172), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 0), 1,
                    cv2.LINE_AA)  # fmt: skip
        rows.append(row)
        print(f"shot: {prompt!r}\n  characters {plan.get('characters')}\n  relight "
              f"{plan.get('relight')}  walk {plan.get('walk')}")  # fmt: skip
        start += n
    print(f"understood {res.understood}\nignored {res.ignored}")
    path.write_bytes(encode_image(np.vstack(rows), "PNG"))
    print(f"wrote {path}")


def edit_sheet(path: Path) -> None:
    """An Aleph edit: a person crossing a still street is removed, a prop added, night neon."""
    import cv2
    import numpy as np

    from kinema.media.image import encode_image
    from kinema.media.video import VideoWriter, read_frames
    from kinema.video import Reference
    from kinema.video.segment import segment_cutout

    alpha, colours = segment_cutout(data.astronaut())
    person = cv2.resize(colours, (150, 150), interpolation=cv2.INTER_AREA).astype(np.float32)
    a = cv2.resize(alpha, (150, 150), interpolation=cv2.INTER_AREA)[..., None]
    street = cv2.resize(data.coffee(), (480, 300), interpolation=cv2.INTER_AREA)
    lamp = np.full((200, 120, 3), 240, np.uint8)
    cv2.rectangle(lamp, (52, 40), (68, 200), (40, 40, 44), -1)
    cv2.circle(lamp, (60, 36), 30, (250, 210, 90), -1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "in.mp4"
        with VideoWriter(clip, 480, 300, 24, crf=16) as w:
            for i in range(48):
                f = street.astype(np.float32)
                x = i * 320 // 47
                f[150:, x : x + 150] = f[150:, x : x + 150] * (1 - a) + person * a
                w.write(np.clip(f + 0.5, 0, 255).astype(np.uint8))
        src, _ = read_frames(clip)
        for prompt, refs in (
            ("remove the person", []),
            (
                "remove the person, add @lamp on the right, night, neon",
                [Reference(lamp, "lamp", "style")],
            ),
        ):  # fmt: skip
            res = generate(
                GenerationRequest(kind="video", prompt=prompt, video=clip, preset="edit",
                                  width=480, height=300, duration=2.0, references=refs),
                Path(tmp) / str(len(rows)),
            )  # fmt: skip
            out, _ = read_frames(res.files[0])
            print(f"{prompt!r}: {res.plan.get('retouch')} understood {res.understood}")
            for k in (8, 24, 40):
                rows.append(np.hstack([src[k], out[k]]))
    path.write_bytes(encode_image(np.vstack(rows), "PNG"))
    print(f"wrote {path}")


def cli_figure(duration: float) -> None:
    """The whole ``kinema generate`` command (process start-up, imports, model loads)."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        img = Path(tmp) / "in.png"
        from kinema.media.image import encode_image

        img.write_bytes(encode_image(data.astronaut()))
        out = str(Path(tmp) / "o.mp4")
        cmd = [sys.executable, "-m", "kinema", "generate", str(img), PROMPTS["image"],
               "--model", "gen4_turbo", "--duration", str(duration), "-o", out]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        dt = time.perf_counter() - t0
    print(f"whole CLI (kinema generate, gen4_turbo, 1280x720, {duration:g} s): {dt:.2f}s wall, "
          f"{duration / dt:.2f}x realtime")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--presets", default="fast,quality")
    ap.add_argument("--threads", type=int, default=0, help="cv2 threads (0 = OpenCV default)")
    ap.add_argument("--sheet", type=Path, help="write a contact sheet PNG instead of timing")
    ap.add_argument("--storyboard", type=Path, help="contact sheet of the three-scene film")
    ap.add_argument("--edit-sheet", type=Path, help="contact sheet of an Aleph edit")
    ap.add_argument("--cli", action="store_true", help="also time the whole CLI")
    args = ap.parse_args()
    if args.sheet:
        contact_sheet(args.sheet)
        return
    if args.storyboard:
        storyboard_sheet(args.storyboard)
        return
    if args.edit_sheet:
        edit_sheet(args.edit_sheet)
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
    if args.cli:
        cli_figure(args.duration)


if __name__ == "__main__":
    main()
