"""The compositor: the embedded CPU engine. Per frame it only warps, blends and adds.

``build_scene`` does the heavy, once-per-request work (segmentation, inpainting, grades) at
reduced resolution; ``FrameRenderer`` then makes each frame with one ``warpAffine`` of the plate,
one ROI-sized warp and ``blendLinear`` per cut-out, a scrolled view of each weather overlay and
the keyframe blends. Frames go to x264 as I420 converted by OpenCV (cheaper than swscale).
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from kinema.errors import Cancelled, EngineFailure
from kinema.media.image import encode_image
from kinema.media.video import VideoWriter
from kinema.video.camera import ease
from kinema.video.living import alpha3
from kinema.video.request import CancelFn, GenerationRequest, GenerationResult, ProgressFn
from kinema.video.scene import Layer, Scene, build_scene
from kinema.video.segment import preload

preload()  # worker processes import this module to warm up: start loading the model now

PRESETS: dict[str, dict] = {
    # render_area: layers are composed at most at this many pixels, then scaled to the output
    "fast": {"interp": cv2.INTER_LINEAR, "x264": "ultrafast", "crf": 23, "render_area": 854 * 480},
    "quality": {"interp": cv2.INTER_LINEAR, "x264": "superfast", "crf": 18, "grain": 1.6},
    "still": {"interp": cv2.INTER_CUBIC},
    "still_fast": {"interp": cv2.INTER_LINEAR},
    "edit": {"x264": "ultrafast", "crf": 20},  # restyle/relight an input video (edit.py)
}
GROUND_FROM = 0.6  # depth-ramped plates: the ground starts here (the procedural horizon)
KEY_RAMP = 0.75  # seconds over which a first keyframe hands over to the animated scene
LAST_RAMP = 1.0  # seconds over which the shot converges on a last keyframe
KEY_LAST_RAMP = 0.4  # ... when it moves there (a matched keyframe move): the final blend only


def render_scale(preset: str, width: int, height: int) -> float:
    """Scale at which a preset composes layers for a given output size (1 = full size)."""
    area = PRESETS.get(preset, PRESETS["fast"]).get("render_area")
    return 1.0 if not area else min(1.0, (area / (width * height)) ** 0.5)


def _smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


@dataclass
class _Cutout:
    """A layer ready for the hot loop: premultiplied colour and inverse alpha, both uint8."""

    premul: np.ndarray
    inv_alpha: np.ndarray  # 255 - alpha (one channel: a third of the warp cost)


class FrameRenderer:
    """Renders frame ``i`` of a scene. Same scene + index → same pixels.

    The returned array is one of a few rotating buffers: it stays valid while the next
    ``RING - 1`` frames render (room for an encoder thread behind the renderer)."""

    RING = 4

    def __init__(self, scene: Scene, preset: str = "fast") -> None:
        self.scene = scene
        self.interp = PRESETS.get(preset, PRESETS["fast"])["interp"]
        self.buf = np.empty((scene.height, scene.width, 3), np.uint8)
        self.out_size = (scene.out_width or scene.width, scene.out_height or scene.height)
        self.scaled = self.out_size != (scene.width, scene.height)
        ow, oh = self.out_size
        self._grain: tuple[np.ndarray, np.ndarray] | None = None
        if PRESETS.get(preset, PRESETS["fast"]).get("grain"):
            # fine film grain, also a dither: 8-bit H.264 bands smooth gradients (skies) without
            rng = np.random.default_rng([scene.camera.seed, 5])
            g = rng.standard_normal((oh * 2, ow * 2), dtype=np.float32) * PRESETS[preset]["grain"]
            g = np.rint(np.clip(g, -127, 127)).astype(np.int8)
            pos, neg = np.maximum(g, 0).astype(np.uint8), np.maximum(-g, 0).astype(np.uint8)
            self._grain = (cv2.merge((pos, pos, pos)), cv2.merge((neg, neg, neg)))
            self._grain_xy = rng.integers(0, [ow, oh], (max(1, scene.frames), 2))
        self._ring = [np.empty((oh, ow, 3), np.uint8) for _ in range(self.RING)]
        self._k = 0
        self._cut: dict[int, _Cutout] = {}
        self._rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        for idx, ly in enumerate(scene.layers):
            if ly.alpha is not None:
                a = np.clip(ly.alpha, 0, 1)
                premul = np.clip(ly.rgb * a[..., None] + 0.5, 0, 255).astype(np.uint8)
                inv = np.clip(255.0 - a * 255.0 + 0.5, 0, 255).astype(np.uint8)
                self._cut[idx] = _Cutout(premul, inv)
        # living characters: the face box of each layer's premultiplied colour is redrawn per frame
        self._living = {
            lv.layer: (lv, alpha3(np.asarray(scene.layers[lv.layer].alpha), lv.box))
            for lv in scene.livings
        }
        n = scene.frames
        self._ramp = min(KEY_RAMP, 0.3 * n / scene.fps)
        self._last_ramp = min(LAST_RAMP, 0.4 * n / scene.fps)
        if scene.key_plate is not None or scene.key_subject is not None:
            # the shot moves into the last frame's composition: only the end is a dissolve
            self._last_ramp = min(KEY_LAST_RAMP, 0.15 * n / scene.fps)
        self._key_k = scene.width / (scene.out_width or scene.width)
        self._key_c = ((scene.out_width or scene.width) / 2, (scene.out_height or scene.height) / 2)

    def render(self, i: int) -> np.ndarray:
        sc = self.scene
        n = sc.frames
        u = i / (n - 1) if n > 1 else 0.0
        t = i / sc.fps
        comp = self.buf
        key_plate = key_subject = None
        if sc.key_plate is not None or sc.key_subject is not None:
            e = ease(u)
            if sc.key_plate is not None:
                key_plate = sc.key_plate.at(e, self._key_c, self._key_k)
            if sc.key_subject is not None:
                key_subject = sc.key_subject.at(e, self._key_c, self._key_k)
        for idx, ly in enumerate(sc.layers):
            cam = sc.camera.camera(u, t, ly.depth)
            key = key_subject if ly.name == "subject" and key_subject is not None else key_plate
            if key is not None:
                cam = key @ cam
            if ly.animated:
                cam = cam @ sc.camera.action_matrix(u, t, ly.anchor)
            m = cam @ np.array([[1.0, 0, ly.x], [0, 1.0, ly.y], [0, 0, 1.0]])
            if idx in self._living:
                lv, a3 = self._living[idx]
                x0, y0, x1, y1 = lv.box
                roi = self._cut[idx].premul[y0:y1, x0:x1]
                cv2.multiply(lv.face(u, t), a3, dst=roi, scale=1.0 / 255.0)
                b, lh = lv.breath(t), ly.rgb.shape[0]  # the chest rises: scale up from the feet
                m = m @ np.array([[1.0, 0, 0], [0, b, lh * (1 - b)], [0, 0, 1.0]])
            if ly.depth_bottom is not None:
                self._remap_plate(comp, ly, u, t, m)
            elif ly.alpha is None:
                cv2.warpAffine(
                    ly.rgb,
                    m[:2],
                    (sc.width, sc.height),
                    dst=comp,
                    flags=self.interp,
                    borderMode=cv2.BORDER_REFLECT_101,
                )
            else:
                self._blend_layer(comp, self._cut[idx], m)
        out = self._ring[self._k]
        self._k = (self._k + 1) % self.RING
        if self.scaled:
            cv2.resize(comp, self.out_size, dst=out, interpolation=cv2.INTER_LINEAR)
        else:
            out[...] = comp
        oh, ow = out.shape[:2]
        for ov in sc.overlays:
            cv2.add(out, ov.view(i, oh, ow), dst=out)
        if self._grain is not None:
            gx, gy = self._grain_xy[min(i, len(self._grain_xy) - 1)]
            cv2.add(out, self._grain[0][gy : gy + oh, gx : gx + ow], dst=out)
            cv2.subtract(out, self._grain[1][gy : gy + oh, gx : gx + ow], dst=out)
        if sc.first is not None and self._ramp > 0 and n > 1:  # stills show the full look
            w = _smooth(t / self._ramp)
            if w < 1.0:
                cv2.addWeighted(sc.first, 1.0 - w, out, w, 0.0, dst=out)
        if sc.last is not None and n > 1:
            remaining = (n - 1 - i) / sc.fps
            w = 1.0 - _smooth(remaining / self._last_ramp) if self._last_ramp > 0 else 1.0
            if w > 0.0:
                cv2.addWeighted(sc.last, w, out, 1.0 - w, 0.0, dst=out)
        return out

    def _remap_plate(
        self, out: np.ndarray, ly: Layer, u: float, t: float, m_top: np.ndarray
    ) -> None:
        """Warp a plate whose depth varies down the frame: per-row affine maps, one remap."""
        sc = self.scene
        place = np.array([[1.0, 0, ly.x], [0, 1.0, ly.y], [0, 0, 1.0]])
        m_bot = sc.camera.camera(u, t, ly.depth_bottom or ly.depth) @ place
        a_top, a_bot = np.linalg.inv(m_top)[:2], np.linalg.inv(m_bot)[:2]
        h, w = out.shape[:2]
        y0 = int(h * GROUND_FROM)  # above: sky and skyline at one depth, one plain warp
        cv2.warpAffine(
            ly.rgb,
            m_top[:2],
            (w, y0),
            dst=out[:y0],
            flags=self.interp,
            borderMode=cv2.BORDER_REFLECT_101,
        )
        if self._rows is None:
            y = np.arange(y0, h, dtype=np.float32)
            k = np.clip((y / h - GROUND_FROM) / (1 - GROUND_FROM), 0, 1)  # nearer downwards
            self._rows = (
                y[:, None],
                (k * k * (3 - 2 * k))[:, None],
                np.arange(w, dtype=np.float32)[None, :],
            )
        ys, k, xs = self._rows
        c = (a_top[None] + k[..., None] * (a_bot - a_top)[None]).astype(np.float32)  # (rows,2,3)
        map_x = c[:, 0, 0, None] * xs + (c[:, 0, 1, None] * ys + c[:, 0, 2, None])
        map_y = c[:, 1, 0, None] * xs + (c[:, 1, 1, None] * ys + c[:, 1, 2, None])
        cv2.remap(
            ly.rgb, map_x, map_y, self.interp, dst=out[y0:], borderMode=cv2.BORDER_REFLECT_101
        )

    def _blend_layer(self, out: np.ndarray, cut: _Cutout, m: np.ndarray) -> None:
        h, w = cut.premul.shape[:2]
        corners = m @ np.array([[0, w, 0, w], [0, 0, h, h], [1, 1, 1, 1]], np.float64)
        x0 = max(0, math.floor(corners[0].min()) - 1)
        y0 = max(0, math.floor(corners[1].min()) - 1)
        x1 = min(out.shape[1], math.ceil(corners[0].max()) + 1)
        y1 = min(out.shape[0], math.ceil(corners[1].max()) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        mr = m[:2].copy()
        mr[0, 2] -= x0
        mr[1, 2] -= y0
        size = (x1 - x0, y1 - y0)
        fg = cv2.warpAffine(
            cut.premul,
            mr,
            size,
            flags=self.interp,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        inv = cv2.warpAffine(
            cut.inv_alpha,
            mr,
            size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=255,
        )
        inv = cv2.merge((inv, inv, inv))
        roi = out[y0:y1, x0:x1]
        cv2.multiply(roi, inv, dst=roi, scale=1.0 / 255.0)  # background * (1 - alpha)
        cv2.add(roi, fg, dst=roi)  # + premultiplied foreground

    def frames(self) -> Iterator[np.ndarray]:
        for i in range(self.scene.frames):
            yield self.render(i)


class I420Writer(VideoWriter):
    """VideoWriter fed with I420 converted by OpenCV (about 3 ms/frame cheaper at 720p)."""

    def write(self, rgb: np.ndarray) -> None:
        yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = self._n
        self._n += 1
        for packet in self._video.encode(frame):
            self._out.mux(packet)

    def abort(self) -> None:
        """Close without flushing the encoder: the file is being thrown away (cancel)."""
        if self._out is not None:
            with contextlib.suppress(Exception):
                self._out.close()
            self._out = None  # type: ignore[assignment]


class Encoder:
    """Encodes frames on a background thread while the next ones render (OpenCV and x264
    release the GIL), so a render uses both cores. ``put`` blocks when two frames wait."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int,
        preset: str,
        audio: tuple[np.ndarray, int] | None = None,
    ) -> None:
        opts = PRESETS.get(preset, PRESETS["fast"])
        self._writer = I420Writer(
            path,
            width,
            height,
            fps,
            crf=opts.get("crf", 20),
            preset=opts.get("x264", "veryfast"),
            audio_rate=audio[1] if audio is not None else None,
        )
        self._fps = fps
        self._audio = audio
        self._sent = 0  # audio samples written (muxed just ahead of the video)
        self._frames = 0
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kinema-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write(frame)
                    self._frames += 1
                    if self._audio is not None:
                        self._write_audio(round(self._frames / self._fps * self._audio[1]))
                except BaseException as exc:  # surfaced to the caller on the next put/close
                    self._error = exc

    def _write_audio(self, upto: int) -> None:
        assert self._audio is not None
        pcm = self._audio[0]
        upto = min(upto, len(pcm))
        if upto > self._sent:
            self._writer.write_audio(pcm[self._sent : upto])
            self._sent = upto

    def put(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise EngineFailure(f"video encoder failed: {self._error}")
        self._queue.put(frame)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._audio is not None and self._error is None:
            self._write_audio(len(self._audio[0]))
        self._writer.close()
        if self._error is not None:
            raise EngineFailure(f"video encoder failed: {self._error}")

    def abort(self) -> None:
        """Stop at once: drop queued frames, skip the encoder flush."""
        self._error = self._error or Cancelled("aborted")  # the thread stops encoding
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        self._queue.put(None)
        self._thread.join()
        self._writer.abort()

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _threads(req: GenerationRequest) -> None:
    """OpenCV threads for this render: ``options["threads"]``, else ``KINEMA_VIDEO_THREADS``
    (``Settings.video_threads``); 0 keeps OpenCV's default. Two renders sharing two cores
    run best with 1 each."""
    from kinema.config import get_settings

    n = int(req.options.get("threads", 0) or get_settings().video_threads or 0)
    if n > 0:
        cv2.setNumThreads(n)


class CompositorEngine:
    """The embedded engine behind the Gen-4 family (see ``kinema.config.DEFAULT_MODELS``)."""

    name = "compositor"
    presets = tuple(PRESETS)

    def generate(
        self,
        req: GenerationRequest,
        out_dir: Path,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> GenerationResult:
        _threads(req)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        if should_cancel is not None and should_cancel():
            raise Cancelled("generation cancelled")
        if req.preset == "edit" or req.video is not None:
            from kinema.video.edit import edit_video

            return edit_video(req, out_dir, progress, should_cancel)
        scale = render_scale(req.preset, req.width, req.height) if req.kind == "video" else 1.0
        scene = build_scene(req, scale, should_cancel)
        renderer = FrameRenderer(scene, req.preset)
        plan = scene.plan.to_dict()
        plan.update(scene.info)
        understood, ignored = list(scene.plan.understood), list(scene.plan.ignored)
        if req.kind == "image":
            path = out_dir / "image.png"
            path.write_bytes(encode_image(renderer.render(0), "PNG"))
            if progress:
                progress(1.0)
            return GenerationResult([path], None, understood, ignored, plan)
        path = out_dir / "video.mp4"
        poster = out_dir / "poster.jpg"
        n = scene.frames
        poster_index = min(n - 1, n // 3)
        try:
            with Encoder(path, req.width, req.height, scene.fps, req.preset, scene.audio) as enc:
                for i in range(n):
                    if should_cancel is not None and should_cancel():
                        raise Cancelled("generation cancelled")
                    frame = renderer.render(i)
                    if i == poster_index:
                        poster.write_bytes(encode_image(frame, "JPEG", quality=88))
                    enc.put(frame)
                    if progress is not None:
                        progress((i + 1) / n)
        except BaseException:
            path.unlink(missing_ok=True)
            poster.unlink(missing_ok=True)
            raise
        return GenerationResult([path], poster, understood, ignored, plan)
