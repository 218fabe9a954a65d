"""Object edits of an input video (``gen4_aleph``): remove a person, add a reference image.

- **remove** ("remove the person", "erase the man", "without the people"): every frame's people
  are segmented (MediaPipe selfie segmentation at analysis size); the camera's motion is found
  from background features (ORB + RANSAC similarity to the first frame), so a clean plate of
  the background is the per-pixel median of the frames where it shows, in the first frame's
  coordinates; what no frame ever shows is inpainted once. Each frame then gets the same
  plate, warped to it, under its feathered mask: one background for the whole clip, so nothing
  flickers.
- **add** ("add @prop on the left", or "add" and one reference): the reference is cut out
  (segmentation + matting), stood on the ground with a contact shadow and moved with the
  camera (the same global motion), so it stays put in the scene.
- **change of angle** ("from above", "a different angle", "reverse shot"): refused: a new
  viewpoint needs the parts of the scene the clip never saw, and the compositor only edits
  pixels it has.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from kinema.errors import Cancelled, InvalidInput
from kinema.video.keyframes import feature_move

ANALYSIS = 256  # long side for segmentation and motion (every frame is kept at this size)
PLATE_SAMPLES = 32  # frames kept at full size for the background median

_REMOVE = re.compile(
    r"\b(?:remove|erase|delete|take out|get rid of|without)\s+(?:the\s+|a\s+|an\s+|all\s+)?"
    r"(?P<what>@[\w-]+|[a-z]+(?:\s+[a-z]+)?)",
    re.IGNORECASE,
)
_ADD = re.compile(r"\b(?:add|insert|place|put)\s+(?:the\s+|a\s+|an\s+)?(?P<what>@[\w-]+|[a-z]+)",
                  re.IGNORECASE)  # fmt: skip
_ANGLE = re.compile(
    r"\b(?:change (?:the )?(?:camera )?angle|(?:a |an )?(?:different|new|another|other) "
    r"(?:camera )?(?:angle|viewpoint|view|perspective)|from (?:above|below|behind|the side|"
    r"the back|overhead)|bird'?s[- ]eye|top[- ]down|overhead (?:shot|view)|low[- ]angle|"
    r"high[- ]angle|reverse (?:angle|shot)|side view|rotate the (?:scene|camera) around)\b",
    re.IGNORECASE,
)
PEOPLE = {
    "person", "people", "man", "woman", "men", "women", "figure", "figures", "guy", "girl",
    "boy", "child", "kid", "pedestrian", "pedestrians", "walker", "runner", "passerby",
    "passer", "someone", "somebody", "human", "humans", "subject",
}  # fmt: skip


@dataclass
class EditIntent:
    remove: bool = False
    add: str | None = None  # the @tag or the word naming what to add
    phrases: list[str] = field(default_factory=list)  # what was understood


def parse_edit(prompt: str) -> EditIntent:
    """What object edits ``prompt`` asks for; raises InvalidInput for what cannot be done."""
    intent = EditIntent()
    if m := _ANGLE.search(prompt):
        raise InvalidInput(
            f"promptText: {m.group(0)!r} asks for a change of camera angle; this server's edit "
            "works on the pixels the clip has and cannot show the scene from a viewpoint it was "
            "never filmed from. Film or generate the shot from that angle instead (a camera move "
            "such as 'push in' or 'pan left' is possible).",
            field="promptText",
        )
    for m in _REMOVE.finditer(prompt):
        words = m.group("what").lower().split()
        if any(w in PEOPLE for w in words):
            intent.remove = True
            intent.phrases.append(m.group(0).strip())
        else:
            raise InvalidInput(
                f"promptText: {m.group(0).strip()!r}: only people can be removed here (they are "
                "found by person segmentation); other objects are not tracked.",
                field="promptText",
            )
    if m := _ADD.search(prompt):
        intent.add = m.group("what").lstrip("@")
        intent.phrases.append(m.group(0).strip())
    return intent


def blank_edit_phrases(prompt: str) -> str:
    """The prompt without its edit phrases (so the grade/camera parser does not report them)."""
    for rx in (_REMOVE, _ADD):
        prompt = rx.sub(lambda m: " " * len(m.group(0)), prompt)
    return prompt


def _small(frame: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = frame.shape[:2]
    k = min(1.0, ANALYSIS / max(h, w))
    if k >= 1:
        return frame, 1.0
    size = (round(w * k), round(h * k))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA), k


def _person_mask(small: np.ndarray) -> np.ndarray:
    from kinema.video.segment import _selfie

    m = _selfie(small)
    hard = (m > 0.35).astype(np.uint8)
    r = max(2, round(0.025 * max(small.shape[:2])))
    return cv2.dilate(hard, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))


def _scaled(m: np.ndarray, k: float) -> np.ndarray:
    """A 3x3 similarity in small-frame pixels as one in full-frame pixels."""
    s = np.diag([k, k, 1.0])
    return np.linalg.inv(s) @ m @ s


class Retouch:
    """Removes people and/or adds a cut-out, frame by frame, after a first analysis pass."""

    def __init__(
        self,
        frames: Iterator[np.ndarray],
        n: int,
        size: tuple[int, int],
        fit: Callable[[np.ndarray], np.ndarray],
        remove: bool,
        cutout: tuple[np.ndarray, np.ndarray] | None = None,
        place: tuple[float, float] = (0.5, 0.93),
        should_cancel: Callable[[], bool] | None = None,
    ) -> None:
        w, h = size
        self.size = size
        self.remove = remove
        self.motion: list[np.ndarray] = []  # frame i -> first-frame coords (full pixels)
        self.masks: list[np.ndarray] = []  # small uint8 person masks
        keep = set(np.linspace(0, n - 1, min(n, PLATE_SAMPLES)).round().astype(int).tolist())
        samples: list[tuple[np.ndarray, np.ndarray]] = []  # full frames and their motion
        smalls: list[np.ndarray] = []
        selfies: list[np.ndarray] = []
        ref_small = None
        k = 1.0
        for i, src in enumerate(frames):
            if should_cancel is not None and should_cancel():
                raise Cancelled("generation cancelled")
            frame = fit(src)
            small, k = _small(frame)
            selfie = _person_mask(small) if remove else np.zeros(small.shape[:2], np.uint8)
            if ref_small is None:
                ref_small = small
                to_ref = np.eye(3)
            else:
                mv = feature_move(small, ref_small, (selfie == 0).astype(np.uint8))
                to_ref = _scaled(mv.matrix(), k) if mv is not None else np.eye(3)
            self.motion.append(to_ref)
            if remove:
                smalls.append(small)
                selfies.append(selfie)
                if i in keep:
                    samples.append((frame, to_ref))
        self.k = k
        self.masks = self._people(smalls, selfies) if remove else []
        self.plate = self._plate(samples, w, h, keep) if remove else None
        self.cutout = cutout
        self.place = place
        self.info: dict = {"frames": len(self.motion)}
        if remove:
            covered = float(np.mean([m.mean() for m in self.masks])) if self.masks else 0.0
            self.info["removed_area"] = round(covered, 4)
        if cutout is not None:
            self._prepare_cutout(*cutout)

    def _people(self, smalls: list[np.ndarray], selfies: list[np.ndarray]) -> list[np.ndarray]:
        """Per-frame masks of the people who move: what differs from the clip's own median
        background and overlaps the person segmentation (a segmenter alone also finds cups
        and posters; motion alone also finds cars and leaves)."""
        sh, sw = smalls[0].shape[:2]
        k = self.k
        pick = np.linspace(0, len(smalls) - 1, min(len(smalls), 48)).round().astype(int)
        r = max(2, round(0.03 * max(sh, sw)))
        grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        masks = [cv2.dilate(s, grow) for s in selfies]  # a first guess: the segmentation
        for _ in range(3):  # background from what the masks leave, then masks from it
            bg = self._median([smalls[j] for j in pick], [masks[j] for j in pick],
                              [_scaled(self.motion[j], 1 / k) for j in pick], sw, sh)  # fmt: skip
            masks = [
                self._mover(small, selfie, bg, _scaled(np.linalg.inv(self.motion[i]), 1 / k), grow)
                for i, (small, selfie) in enumerate(zip(smalls, selfies, strict=True))
            ]
        out = masks
        if not any(m.any() for m in out):  # nobody moves: trust the segmenter alone
            out = [cv2.dilate(s, grow) for s in selfies]
        return out

    @staticmethod
    def _median(frames: list, masks: list, motions: list, w: int, h: int) -> np.ndarray:
        stack = np.empty((len(frames), h, w, 3), np.float32)
        for j, (f, m, mv) in enumerate(zip(frames, masks, motions, strict=True)):
            a = cv2.warpAffine(f, mv[:2], (w, h), borderMode=cv2.BORDER_REPLICATE)
            hide = cv2.warpAffine(m, mv[:2], (w, h), flags=cv2.INTER_NEAREST) > 0
            stack[j] = a
            stack[j][hide] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bg = np.nanmedian(stack, axis=0)
        hole = np.isnan(bg[..., 0])
        bg = np.clip(np.nan_to_num(bg) + 0.5, 0, 255).astype(np.uint8)
        if hole.any():
            bg = cv2.inpaint(bg, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA)
        return bg

    @staticmethod
    def _mover(
        small: np.ndarray, selfie: np.ndarray, bg: np.ndarray, back: np.ndarray, grow: np.ndarray
    ) -> np.ndarray:
        """The parts of ``small`` unlike the background that belong to a segmented person."""
        sh, sw = small.shape[:2]
        bg_i = cv2.warpAffine(bg, back[:2], (sw, sh), borderMode=cv2.BORDER_REPLICATE)
        diff = np.abs(small.astype(np.int16) - bg_i.astype(np.int16)).max(axis=2) > 28
        diff8 = cv2.morphologyEx(diff.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        diff8 = cv2.morphologyEx(diff8, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(diff8)
        keep = np.zeros((sh, sw), np.uint8)
        for c in range(1, count):
            part = labels == c
            area = int(stats[c, cv2.CC_STAT_AREA])
            if area >= 12 and int((selfie[part] > 0).sum()) >= 0.2 * area:
                keep[part] = 1
        mask = keep | (selfie & cv2.dilate(keep, grow)) if keep.any() else keep
        return cv2.dilate(mask, grow)

    # -- remove ---------------------------------------------------------------------------
    def _plate(self, samples: list, w: int, h: int, keep: set[int]) -> np.ndarray:
        """The background without people, in the first frame's coordinates."""
        stack = np.empty((len(samples), h, w, 3), np.uint8)
        valid = np.zeros((len(samples), h, w), bool)
        masks = [self.masks[i] for i in sorted(keep)]
        for j, ((frame, to_ref), mask) in enumerate(zip(samples, masks, strict=True)):
            big = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
            stack[j] = cv2.warpAffine(frame, to_ref[:2], (w, h), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
            inside = cv2.warpAffine(np.ones((h, w), np.uint8), to_ref[:2], (w, h)) > 0
            valid[j] = (
                cv2.warpAffine(big, to_ref[:2], (w, h), flags=cv2.INTER_NEAREST) == 0
            ) & inside
        f = stack.astype(np.float32)
        f[~valid] = np.nan
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                plate = np.nanmedian(f, axis=0)
        hole = np.isnan(plate[..., 0])
        plate = np.nan_to_num(plate, nan=0.0)
        plate = np.clip(plate + 0.5, 0, 255).astype(np.uint8)
        if hole.any():  # never seen in any frame: inpaint once
            plate = cv2.inpaint(plate, hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)
        self.info_hole = float(hole.mean())
        return plate

    def _erase(self, frame: np.ndarray, i: int) -> np.ndarray:
        assert self.plate is not None
        w, h = self.size
        m = self.masks[i]
        if not m.any():
            return frame
        back = np.linalg.inv(self.motion[i])
        plate = cv2.warpAffine(self.plate, back[:2], (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        soft = cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        soft = cv2.GaussianBlur(soft, (0, 0), max(1.0, max(w, h) / 300))[..., None]
        out = frame.astype(np.float32) * (1 - soft) + plate.astype(np.float32) * soft
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    # -- add ------------------------------------------------------------------------------
    def _prepare_cutout(self, rgb: np.ndarray, alpha: np.ndarray) -> None:
        from kinema.video.scene import _crop_subject, _place, _with_shadow

        w, h = self.size
        crop, a, _ = _crop_subject(rgb, alpha)
        height = 0.34 * h
        height = min(height, 0.4 * w * crop.shape[0] / max(1, crop.shape[1]))
        x_frac, feet = self.place
        rgb2, a2, x, y = _place(crop, a, height, x_frac * w, feet * h)
        rgb2, a2 = _with_shadow(rgb2, a2)
        self.add_rgb = rgb2.astype(np.float32)
        self.add_alpha = a2.astype(np.float32)
        self.add_xy = (x, y)
        self.info["added_box"] = [round(x), round(y), rgb2.shape[1], rgb2.shape[0]]

    def _add(self, frame: np.ndarray, i: int) -> np.ndarray:
        w, h = self.size
        x, y = self.add_xy
        # placed in the first frame's coordinates: follow the camera to frame i
        m = np.linalg.inv(self.motion[i]) @ np.array([[1.0, 0, x], [0, 1.0, y], [0, 0, 1.0]])
        fg = cv2.warpAffine(self.add_rgb * self.add_alpha[..., None], m[:2], (w, h),
                            flags=cv2.INTER_LINEAR)  # fmt: skip
        a = cv2.warpAffine(self.add_alpha, m[:2], (w, h), flags=cv2.INTER_LINEAR)[..., None]
        out = frame.astype(np.float32) * (1 - a) + fg
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def apply(self, frame: np.ndarray, i: int) -> np.ndarray:
        i = min(i, len(self.motion) - 1)
        if self.remove:
            frame = self._erase(frame, i)
        if self.cutout is not None:
            frame = self._add(frame, i)
        return frame
