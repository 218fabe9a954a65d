"""The optional diffusion engine: LTX-Video or Wan through Hugging Face diffusers, on a GPU.

Same contract as the compositor (``generate(req, out_dir, progress, should_cancel)``), chosen by
``Settings.models`` (e.g. ``{"gen4.5": "diffusers:ltx"}``). torch and diffusers are imported
inside the calls that need them, so ``import kinema.video`` stays light; weights come only from
``KINEMA_DIFFUSERS_MODEL_PATH`` (``local_files_only``), never from the network.

The models work on their own grid (sizes in multiples of 32 or 16, ``8k+1`` / ``4k+1`` frames,
a pixel budget per frame); ``model_size`` and ``model_frames`` map a request onto that grid and
the frames are then resampled in time and cover-cropped to exactly ``width x height`` at ``fps``.
Wan makes 16 fps whatever is asked: its frames map to the output by time, and a duration
longer than its longest clip (81 frames, 5 s) is refused instead of played in slow motion.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kinema.config import Settings, get_settings
from kinema.errors import BackendUnavailable, Cancelled, EngineFailure, InvalidInput, KinemaError
from kinema.media.image import encode_image
from kinema.media.video import VideoWriter
from kinema.video.request import CancelFn, GenerationRequest, GenerationResult, ProgressFn

STEP_SHARE = 0.9  # progress 0..0.9 while denoising, 0.9..1 while decoding and encoding


@dataclass(frozen=True)
class Family:
    """What a model family needs from a request (pipeline classes, grid, sensible defaults)."""

    t2v: str  # diffusers pipeline class for text-to-video
    i2v: str  # ... and for image-to-video (first frame)
    size_multiple: int  # VAE spatial compression x transformer patch size
    frame_step: int  # VAE temporal compression: valid frame counts are frame_step * k + 1
    max_frames: int  # longest clip the model was trained on
    max_area: int  # pixels per frame the model was trained around (larger requests are upscaled)
    steps: int
    guidance: float
    max_sequence_length: int
    negative_prompt: str
    native_fps: int
    # True: the model always makes native_fps (Wan); its frames map to the output by time, so
    # a longer request is refused rather than slowed down. False: the rate is an input (LTX)
    fixed_fps: bool = False


FAMILIES: dict[str, Family] = {
    "ltx": Family(
        t2v="LTXPipeline",
        i2v="LTXImageToVideoPipeline",
        size_multiple=32,
        frame_step=8,
        max_frames=257,
        max_area=768 * 512,
        steps=40,
        guidance=3.0,
        max_sequence_length=128,
        negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
        native_fps=24,
    ),
    "wan": Family(
        t2v="WanPipeline",
        i2v="WanImageToVideoPipeline",
        size_multiple=16,
        frame_step=4,
        max_frames=81,
        max_area=832 * 480,
        steps=40,
        guidance=5.0,
        max_sequence_length=512,
        negative_prompt="blurry, static, low quality, worst quality, deformed, jpeg artifacts",
        native_fps=16,
        fixed_fps=True,
    ),
}


# -- mapping a request onto the model's grid (pure functions, no torch) -------------------------


def model_size(width: int, height: int, fam: Family) -> tuple[int, int]:
    """The model's frame size for an output size: same aspect, within the family's pixel budget,
    each side a multiple of ``size_multiple`` (at least one multiple)."""
    scale = min(1.0, math.sqrt(fam.max_area / (width * height)))
    m = fam.size_multiple
    return (max(m, int(width * scale / m + 0.5) * m), max(m, int(height * scale / m + 0.5) * m))


MIN_RATE = 12.0  # frames per second below which a rate-conditioned model (LTX) is not asked


def model_frames(n_out: int, fam: Family, seconds: float | None = None) -> int:
    """Smallest valid frame count (``frame_step * k + 1``) for ``n_out`` output frames lasting
    ``seconds``. A fixed-rate model (Wan, 16 fps) needs ``seconds * native_fps`` frames; a
    rate-conditioned one (LTX) covers the output frames, or fewer at a lower (stated) rate when
    the clip is longer than it makes. Raises InvalidInput (``duration``) rather than stretch
    the model's frames into slow motion."""
    step = fam.frame_step
    cap = (fam.max_frames - 1) // step * step + 1
    if fam.fixed_fps and seconds is not None and n_out > 1:
        need = round(seconds * fam.native_fps)
        frames = math.ceil(need / step) * step + 1
        if frames > cap:
            longest = (cap - 1) / fam.native_fps
            raise InvalidInput(
                f"Invalid parameter 'duration': this model makes at most {cap} frames at "
                f"{fam.native_fps} fps ({longest:g} s); {seconds:g} s would be {need} frames, "
                f"and stretching {cap} over them would play in slow motion. Ask for at most "
                f"{math.floor(longest)} s.",
                field="duration",
            )
        return frames
    frames = math.ceil(max(0, n_out - 1) / step) * step + 1
    if frames > cap and seconds is not None and (cap - 1) / seconds < MIN_RATE:
        raise InvalidInput(
            f"Invalid parameter 'duration': this model makes at most {cap} frames; "
            f"{seconds:g} s would need fewer than {MIN_RATE:g} per second. Ask for at most "
            f"{math.floor((cap - 1) / MIN_RATE)} s.",
            field="duration",
        )
    return min(cap, frames)


def frame_indices(
    n_out: int, n_model: int, fps: float | None = None, model_fps: float | None = None
) -> list[int]:
    """Which model frame each output frame shows. With ``model_fps`` (a fixed-rate model) by
    time: output frame i at ``i / fps`` shows the model frame at that time. Otherwise the clip
    spans the output evenly (the model was told the matching rate)."""
    if n_out <= 1:
        return [0]
    if model_fps and fps:
        return [min(n_model - 1, round(i / fps * model_fps)) for i in range(n_out)]
    return [round(i * (n_model - 1) / (n_out - 1)) for i in range(n_out)]


def fit_frame(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to cover ``width x height`` and crop the centre (no bars, no distortion)."""
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb
    scale = max(width / w, height / h)
    rw, rh = max(width, round(w * scale)), max(height, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(rgb, (rw, rh), interpolation=interp)
    x, y = (rw - width) // 2, (rh - height) // 2
    return np.ascontiguousarray(resized[y : y + height, x : x + width])


def on_grid_of(pipe: Any, fam: Family) -> Family:
    """The family's grid widened to what the loaded checkpoint needs (e.g. Wan 2.2 TI2V-5B's
    VAE compresses 16x and its transformer patches 2x2: sides must be multiples of 32)."""
    if hasattr(pipe, "vae_spatial_compression_ratio"):  # LTX
        space = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size
        time = pipe.vae_temporal_compression_ratio * pipe.transformer_temporal_patch_size
    else:  # Wan
        patch = tuple(getattr(pipe.transformer.config, "patch_size", (1, 1, 1)))
        space = pipe.vae_scale_factor_spatial * patch[-1]
        time = pipe.vae_scale_factor_temporal * patch[0]
    return replace(
        fam,
        size_multiple=math.lcm(fam.size_multiple, int(space)),
        frame_step=math.lcm(fam.frame_step, int(time)),
    )


# -- loading ---------------------------------------------------------------------------------


def _import_extra() -> tuple[Any, Any]:
    try:
        import diffusers
        import torch
    except ImportError as exc:
        raise BackendUnavailable(
            f"the diffusers engine needs the optional extra ({exc.name} is missing): "
            "pip install 'kinema[diffusers]'."
        ) from None
    return torch, diffusers


def resolve_device(torch: Any, name: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``mps`` on Apple, else ``cpu``."""
    if name and name != "auto":
        return name
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def resolve_dtype(torch: Any, name: str, device: str) -> Any:
    """``auto`` → bfloat16 on CUDA (what the LTX/Wan weights ship in), float32 elsewhere."""
    if not name or name == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise BackendUnavailable(
            f"KINEMA_DIFFUSERS_DTYPE={name!r} is not a torch dtype (use auto, float32, "
            "float16 or bfloat16)."
        )
    return dtype


def model_class(path: Path, preset: str, fam: Family) -> str:
    """The pipeline class named in ``model_index.json``, checked against the preset's family."""
    if not str(path) or str(path) == ".":
        raise BackendUnavailable(
            "the diffusers engine has no model: set KINEMA_DIFFUSERS_MODEL_PATH to a local "
            f"diffusers folder of a {preset.upper()} model (weights are never downloaded)."
        )
    index = path / "model_index.json"
    if not index.is_file():
        raise BackendUnavailable(
            f"KINEMA_DIFFUSERS_MODEL_PATH={str(path)!r} is not a diffusers model folder "
            "(no model_index.json); download the model there first, e.g. with "
            "`huggingface-cli download Lightricks/LTX-Video --local-dir ...`."
        )
    try:
        name = str(json.loads(index.read_text())["_class_name"])
    except (ValueError, KeyError) as exc:
        raise BackendUnavailable(f"{index} cannot be read ({exc}).") from None
    if name not in (fam.t2v, fam.i2v):
        raise BackendUnavailable(
            f"the model at KINEMA_DIFFUSERS_MODEL_PATH is a {name}, but preset {preset!r} "
            f"needs {fam.t2v} or {fam.i2v}; point the setting at a {preset} model or map the "
            "model name to the matching preset in KINEMA_MODELS."
        )
    return name


# -- the engine ------------------------------------------------------------------------------


class DiffusersEngine:
    """Text/image-to-video with a local LTX-Video or Wan model. One loaded model per process."""

    name = "diffusers"
    presets = tuple(FAMILIES)

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()  # one generation at a time: the model owns the device
        self._key: tuple | None = None
        self._pipes: dict[str, Any] = {}  # pipeline class name -> pipeline sharing the weights

    def _pipeline(self, preset: str, fam: Family, image: bool) -> tuple[Any, dict]:
        settings = self._settings or get_settings()
        path = Path(settings.diffusers_model_path).expanduser()
        name = model_class(path, preset, fam)
        torch, diffusers = _import_extra()
        device = resolve_device(torch, settings.diffusers_device)
        dtype = resolve_dtype(torch, settings.diffusers_dtype, device)
        key = (str(path), device, str(dtype))
        if key != self._key:
            self._pipes.clear()
            self._key = None
            try:
                pipe = getattr(diffusers, name).from_pretrained(
                    str(path), dtype=dtype, local_files_only=True
                )
                pipe.to(device)
            except Exception as exc:  # corrupt or partial folders, missing files, device errors
                raise BackendUnavailable(
                    f"cannot load the {name} model from {path}: {exc}".rstrip()
                ) from exc
            pipe.set_progress_bar_config(disable=True)
            self._pipes[name] = pipe
            self._key = key
        loaded = next(iter(self._pipes))
        want = fam.i2v if image else fam.t2v
        if want not in self._pipes:
            self._check_convertible(loaded, want, self._pipes[loaded])
            self._pipes[want] = getattr(diffusers, want).from_pipe(self._pipes[loaded])
            self._pipes[want].set_progress_bar_config(disable=True)
        info = {"pipeline": want, "device": device, "dtype": str(dtype).removeprefix("torch.")}
        return self._pipes[want], info

    @staticmethod
    def _check_convertible(loaded: str, want: str, pipe: Any) -> None:
        """Wan checkpoints are either text- or image-conditioned (Wan 2.2 TI2V does both)."""
        if not loaded.startswith("Wan"):
            return  # LTX: one checkpoint serves both pipelines
        both = bool(getattr(pipe.config, "expand_timesteps", False))
        if not both and want == "WanImageToVideoPipeline":
            raise InvalidInput(
                "the configured Wan model is text-to-video only; a first frame needs a Wan "
                "image-to-video (I2V) or TI2V checkpoint.",
                field="promptImage",
            )
        if not both and want == "WanPipeline":
            raise InvalidInput(
                "the configured Wan model is image-to-video: give a first frame (promptImage).",
                field="promptImage",
            )

    def generate(
        self,
        req: GenerationRequest,
        out_dir: Path,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> GenerationResult:
        fam = FAMILIES.get(req.preset)
        if fam is None:
            raise InvalidInput(
                f"diffusers preset {req.preset!r} is unknown; use one of {', '.join(FAMILIES)} "
                '(e.g. KINEMA_MODELS=\'{"gen4.5": "diffusers:ltx"}\').'
            )
        if req.video is not None:
            raise InvalidInput("the diffusers engine does not edit videos; use the compositor.")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        width, height = req.width - req.width % 2, req.height - req.height % 2  # yuv420p
        n_out = 1 if req.kind == "image" else max(1, round(req.duration * req.fps))
        with self._lock:
            if should_cancel and should_cancel():
                raise Cancelled("generation cancelled")
            pipe, info = self._pipeline(req.preset, fam, req.first_frame is not None)
            fam = on_grid_of(pipe, fam)
            mw, mh = model_size(width, height, fam)
            n_model = model_frames(n_out, fam, req.duration if req.kind == "video" else None)
            frames = self._denoise(req, fam, pipe, (mw, mh), n_model, progress, should_cancel)
        if should_cancel and should_cancel():
            raise Cancelled("generation cancelled")
        ignored = [name for name, given in (("references", req.references),) if given]
        if req.last_frame is not None and "last_image" not in _call_args(pipe):
            ignored.append("last_frame")
        plan = {
            "engine": self.name,
            "preset": req.preset,
            **info,
            "model_size": [mw, mh],
            "model_frames": n_model,
            "output_frames": n_out,
            "steps": self._steps(fam),
            "seed": req.seed,
            "ignored_inputs": ignored,
        }
        understood = [req.prompt] if req.prompt else []
        if req.kind == "image":
            path = out_dir / "image.png"
            path.write_bytes(encode_image(fit_frame(frames[0], width, height), "PNG"))
            if progress:
                progress(1.0)
            return GenerationResult([path], None, understood, [], plan)
        model_fps = fam.native_fps if fam.fixed_fps else None
        plan["model_fps"] = model_fps or round(n_model / max(req.duration, 1e-3), 3)
        path, poster = self._encode(
            frames, out_dir, width, height, req.fps, n_out, progress, should_cancel, model_fps
        )
        return GenerationResult([path], poster, understood, [], plan)

    def _steps(self, fam: Family) -> int:
        steps = (self._settings or get_settings()).diffusers_steps
        return steps if steps > 0 else fam.steps

    def _denoise(
        self,
        req: GenerationRequest,
        fam: Family,
        pipe: Any,
        size: tuple[int, int],
        n_model: int,
        progress: ProgressFn | None,
        should_cancel: CancelFn | None,
    ) -> np.ndarray:
        """Run the pipeline; returns the clip as ``(frames, H, W, 3)`` uint8."""
        import torch
        from PIL import Image

        steps = self._steps(fam)
        mw, mh = size

        def on_step(p: Any, i: int, t: Any, kwargs: dict) -> dict:
            if should_cancel and should_cancel():
                raise Cancelled("generation cancelled")
            if progress:
                total = getattr(p, "num_timesteps", 0) or steps
                progress(STEP_SHARE * min(1.0, (i + 1) / total))
            return kwargs

        args = _call_args(pipe)
        kwargs: dict[str, Any] = {
            "prompt": req.prompt,
            "negative_prompt": fam.negative_prompt,
            "width": mw,
            "height": mh,
            "num_frames": n_model,
            "num_inference_steps": steps,
            "guidance_scale": fam.guidance,
            "generator": torch.Generator("cpu").manual_seed(int(req.seed)),
            "output_type": "np",
            "max_sequence_length": fam.max_sequence_length,
            "callback_on_step_end": on_step,
        }
        if "frame_rate" in args:  # LTX conditions its positions on the clip's real frame rate
            kwargs["frame_rate"] = max(1, round((n_model - 1) / max(req.duration, 1e-3)))
        from kinema.video.framing import frame_image  # a face is never cropped off

        if req.first_frame is not None:
            kwargs["image"] = Image.fromarray(frame_image(req.first_frame[..., :3], mw, mh)[0])
        if req.last_frame is not None and "last_image" in args:
            kwargs["last_image"] = Image.fromarray(frame_image(req.last_frame[..., :3], mw, mh)[0])
        try:
            out = pipe(**kwargs).frames
        except KinemaError:
            raise
        except torch.cuda.OutOfMemoryError:
            raise EngineFailure(
                f"out of GPU memory at {mw}x{mh}, {n_model} frames; ask for a shorter or "
                "smaller video."
            ) from None
        except Exception as exc:
            raise EngineFailure(f"{type(pipe).__name__} failed: {exc}") from exc
        clip = np.asarray(out[0])  # output_type="np": (batch, frames, H, W, 3) floats in 0..1
        if clip.ndim != 4:
            raise EngineFailure(f"{type(pipe).__name__} returned frames of shape {clip.shape}.")
        if clip.dtype != np.uint8:
            clip = (np.clip(clip, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
        return clip

    @staticmethod
    def _encode(
        frames: np.ndarray,
        out_dir: Path,
        width: int,
        height: int,
        fps: int,
        n_out: int,
        progress: ProgressFn | None,
        should_cancel: CancelFn | None,
        model_fps: float | None = None,
    ) -> tuple[Path, Path]:
        """Resample the clip to ``n_out`` frames at ``fps``, fit each to the output size."""
        path, poster = out_dir / "video.mp4", out_dir / "poster.jpg"
        indices = frame_indices(n_out, len(frames), fps, model_fps)
        poster_index = min(n_out - 1, n_out // 3)
        with VideoWriter(path, width, height, fps, crf=18, preset="veryfast") as writer:
            for i, k in enumerate(indices):
                if should_cancel and should_cancel():
                    writer.close()
                    path.unlink(missing_ok=True)
                    poster.unlink(missing_ok=True)
                    raise Cancelled("generation cancelled")
                frame = fit_frame(frames[k], width, height)
                writer.write(frame)
                if i == poster_index:
                    poster.write_bytes(encode_image(frame, "JPEG", quality=88))
                if progress:
                    progress(STEP_SHARE + (1 - STEP_SHARE) * (i + 1) / n_out)
        return path, poster


def _call_args(pipe: Any) -> set[str]:
    import inspect

    return set(inspect.signature(type(pipe).__call__).parameters)
