"""The embedded neural TTS: a Piper VITS voice run by Kinema's own onnxruntime runner.

Why not the ``piper-tts`` package: it is GPL-3 and would pull that licence into the server
process. Piper's model needs only three things, all done here: espeak-ng IPA phonemes (the
project already embeds espeak-ng for its formant voices), the voice's ``phoneme_id_map``
(from its ``.onnx.json``) and one onnxruntime call. See docs/voice.md.

Lip-sync timings come from the model itself: at load the VITS graph is edited in memory with
the ``onnx`` package so that the duration predictor's output (``Ceil`` of the predicted
log-durations: frames of ``hop`` samples per phoneme id) is a second graph output. Each
phoneme's start and end are therefore exactly where the model put it in the audio.

Preset timbres (female, child, senior …) are made from the one male voice with Praat's
PSOLA "Change gender" (praat-parselmouth): F0 median, pitch range and formant shift. Durations
are untouched, so the timings stay exact.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kinema.errors import BackendUnavailable, EngineFailure, InvalidInput
from kinema.media.audio import Audio
from kinema.voice.models import PIPER_JOE, ModelIntegrityError, sha256_file, verified_path
from kinema.voice.presets import VoiceSpec, apply_prosody, pitch_ratio, resolve_voice
from kinema.voice.text import split_sentences
from kinema.voice.tts.base import PhonemeEvent, Speech, VoiceSettings
from kinema.voice.tts.espeak import MAX_TEXT_CHARS, phonemize
from kinema.voice.visemes import ipa_to_viseme

_BOS, _EOS, _PAD = "^", "$", "_"
_HOP = 256  # samples per duration frame in Piper's VITS models (22.05 kHz: 11.6 ms)
_CLAUSE = re.compile(r"([^,.;:!?…]+)([,.;:!?…]*)")
_STRESS = "ˈˌ"
_LENGTH = "ːˑ"
_PUNCT = ",.;:!?…"
_MIN_CLOSURE_S = 0.06
_WORD_GAP_SIL_S = 0.06  # a pause between words longer than this closes the mouth
# espeak voices whose phonemes an American-trained model cannot say well enough (the Scottish
# trilled r and monophthongs gave 21 % WER through Whisper): phonemised as British instead
_PHONEMIZER = {"en-gb-scotland": "en"}


@dataclass(frozen=True)
class _Phone:
    symbol: str  # one IPA symbol (with its stress/length marks) or " " / punctuation
    start: float
    end: float


def _seedable_noise(graph: Any) -> list[tuple[str, int, bool]]:
    """Replace the graph's ``RandomNormalLike`` nodes (VITS's duration and latent noise) by
    slices of noise inputs, ``(input name, channels, per phoneme id?)`` each: ONNX Runtime's
    own generator cannot be seeded per call."""
    from onnx import TensorProto, helper

    found: list[tuple[str, int, bool]] = []
    nodes = list(graph.graph.node)
    for k, node in enumerate(nodes):
        if node.op_type != "RandomNormalLike":
            continue
        like, out = node.input[0], node.output[0]
        per_id = node.name.startswith("/dp/")  # the duration predictor's noise: [1, 2, T_ids]
        channels = 2 if per_id else _latent_channels(graph)
        name = f"noise_{len(found)}"
        graph.graph.input.append(
            helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, channels, None])
        )
        shape, zeros = f"{name}_shape", f"{name}_starts"
        repl = [
            helper.make_node("Shape", [like], [shape]),
            helper.make_node(
                "Constant",
                [],
                [zeros],
                value=helper.make_tensor(zeros, TensorProto.INT64, [3], [0, 0, 0]),
            ),
            helper.make_node("Slice", [name, zeros, shape], [out]),
        ]
        graph.graph.node.remove(node)
        for i, r in enumerate(repl):
            graph.graph.node.insert(k + i + 2 * len(found), r)
        found.append((name, channels, per_id))
    return found


def _latent_channels(graph: Any) -> int:
    """Channels of the VITS latent (192 in Piper's medium voices), from the model's shapes."""
    import onnx

    inferred = onnx.shape_inference.infer_shapes(graph)
    for vi in inferred.graph.value_info:
        if vi.name == "/Transpose_3_output_0":
            dims = vi.type.tensor_type.shape.dim
            if len(dims) == 3 and dims[1].dim_value:
                return int(dims[1].dim_value)
    return 192


class PiperVoiceModel:
    """One Piper voice: phoneme ids → (audio float32, samples per id). Thread-safe."""

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        try:
            import onnx
            import onnxruntime as ort
        except ImportError:  # pragma: no cover - both are core dependencies
            raise BackendUnavailable("tts: onnx and onnxruntime are needed for Piper.") from None
        config_path = model_path.with_name(model_path.name + ".json")
        if not config_path.is_file():
            raise BackendUnavailable(f"tts: Piper voice config {config_path} is missing.")
        self.config = json.loads(config_path.read_text("utf-8"))
        self.rate = int(self.config["audio"]["sample_rate"])
        self.espeak_voice = str(self.config.get("espeak", {}).get("voice", "en-us"))
        self.ids: dict[str, list[int]] = self.config["phoneme_id_map"]
        inference = self.config.get("inference", {})
        self.noise_scale = float(inference.get("noise_scale", 0.667))
        self.noise_w = float(inference.get("noise_w", 0.8))
        graph = onnx.load(str(model_path))
        ceil = [n for n in graph.graph.node if n.op_type == "Ceil"]
        if len(ceil) != 1:
            raise EngineFailure(
                f"tts: {model_path.name} is not a Piper VITS graph (expected one Ceil node for "
                f"the phoneme durations, found {len(ceil)})."
            )
        graph.graph.output.append(
            onnx.helper.make_tensor_value_info(ceil[0].output[0], onnx.TensorProto.FLOAT, None)
        )
        self._noise = _seedable_noise(graph)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self._outputs = ["output", ceil[0].output[0]]

    def to_ids(self, phonemes: list[str]) -> list[int]:
        ids = list(self.ids[_BOS]) + list(self.ids[_PAD])
        for p in phonemes:
            ids += self.ids[p] + self.ids[_PAD]
        return ids + list(self.ids[_EOS])

    def run(self, ids: list[int], length_scale: float) -> tuple[np.ndarray, np.ndarray]:
        """One utterance. The model's noise comes from a generator seeded by the phonemes and
        the scales, so the same text in the same voice always sounds the same (renders are
        reproducible, and a test hears what the user hears)."""
        x = np.asarray([ids], np.int64)
        scales = np.asarray([self.noise_scale, length_scale, self.noise_w], np.float32)
        feed = {"input": x, "input_lengths": np.asarray([len(ids)], np.int64), "scales": scales}
        seed = zlib.crc32(x.tobytes() + scales.tobytes())
        frames = len(ids) * 24 * max(1.0, length_scale)  # room for slow speech; grown if short
        for _ in range(4):
            rng = np.random.default_rng(seed)
            for name, channels, per_id in self._noise:
                n = len(ids) if per_id else int(frames)
                feed[name] = rng.standard_normal((1, channels, n), dtype=np.float32)
            try:
                audio, dur = self._session.run(self._outputs, feed)
            except Exception as exc:  # the noise buffer was shorter than the utterance
                if "noise" not in str(exc).lower() and "shape" not in str(exc).lower():
                    raise
                frames *= 2
                continue
            return np.asarray(audio, np.float32).reshape(-1), np.asarray(dur).reshape(-1)
        raise EngineFailure("tts: Piper could not size its noise for this utterance.")


def split_symbols(ipa: str) -> list[str]:
    """IPA string → Piper's symbols (one code point each, as in its ``phoneme_id_map``)."""
    return list(ipa)


def _phones(symbols: list[str], samples_per_id: np.ndarray, rate: int) -> list[_Phone]:
    """Group Piper's per-symbol durations into phones: stress marks join the next symbol,
    length marks and the interleaved pads join the one before (BOS/EOS are silence)."""
    # ids: BOS PAD (s PAD)* EOS → s_i at 2 + 2i; the pad before it (at 1 + 2i) is its onset
    # (a stop's closure, measured: giving pads to the previous sound put closures too late)
    t = 0.0
    bos = float(samples_per_id[0]) / rate
    out: list[_Phone] = [_Phone("_", 0.0, bos)] if bos > 0 else []
    t = bos
    pending, onset = "", bos
    for i, sym in enumerate(symbols):
        d = float(samples_per_id[1 + 2 * i] + samples_per_id[2 + 2 * i]) / rate
        if sym in _STRESS:  # the mark's time is the onset of the stressed sound after it
            if not pending:
                onset = t
            pending += sym
            t += d
            continue
        if sym in _LENGTH and out and out[-1].symbol not in " _" + _PUNCT:
            last = out[-1]
            out[-1] = _Phone(last.symbol + sym, last.start, last.end + d)
            t += d
            continue
        out.append(_Phone(pending + sym, onset if pending else t, t + d))
        pending = ""
        t += d
    eos = float(samples_per_id[-2] + samples_per_id[-1]) / rate
    if eos > 0:
        out.append(_Phone("_", t, t + eos))
    return out


def phones_to_events(phones: list[_Phone]) -> list[PhonemeEvent]:
    """Phones → ``PhonemeEvent``s tiling the audio. Word spaces shorter than a real pause are
    given to the previous sound (lips do not close between the words of a phrase)."""
    events: list[PhonemeEvent] = []
    for ph in phones:
        if ph.end <= ph.start:
            continue
        sym = ph.symbol
        if sym == " " and ph.end - ph.start < _WORD_GAP_SIL_S and events:
            last = events[-1]
            events[-1] = PhonemeEvent(last.phoneme, last.start, ph.end, last.viseme)
            continue
        name = "_" if sym in (" ", "_") or sym in _PUNCT else sym
        viseme = "sil" if name == "_" else ipa_to_viseme(sym)
        if events and events[-1].viseme == "sil" and viseme == "sil":
            last = events[-1]
            events[-1] = PhonemeEvent(last.phoneme, last.start, ph.end, "sil")
            continue
        events.append(PhonemeEvent(_espeak_marks(name), ph.start, ph.end, viseme))
    return _lead_closures(events)


def _espeak_marks(name: str) -> str:
    """IPA stress marks as espeak writes them (' and ,), which the face reads for emphasis."""
    return name.replace("ˈ", "'").replace("ˌ", ",")


def _lead_closures(events: list[PhonemeEvent]) -> list[PhonemeEvent]:
    """Let a short p/b/m start up to ``_MIN_CLOSURE_S`` before its acoustic closure, taken
    from the tail of the sound before it (at most half of it): the lips travel to closed while
    that sound's formants are still fading, and fluent neural speech has 25–45 ms closures,
    shorter than one video frame."""
    out = list(events)
    for i in range(1, len(out)):
        p, prev = out[i], out[i - 1]
        short = _MIN_CLOSURE_S - (p.end - p.start)
        if p.viseme != "PP" or short <= 0 or prev.viseme in ("PP", "sil"):
            continue
        t = p.start - min(short, 0.5 * (prev.end - prev.start))
        out[i - 1] = PhonemeEvent(prev.phoneme, prev.start, t, prev.viseme)
        out[i] = PhonemeEvent(p.phoneme, t, p.end, p.viseme)
    return out


def _word_onsets(text: str, phones: list[_Phone]) -> list[tuple[str, float]]:
    """(word, start) when espeak kept one phoneme word per written word (the usual case)."""
    words = re.findall(r"[\w'’-]+", text)
    onsets: list[float] = []
    in_word = False
    for ph in phones:
        speaking = ph.symbol not in (" ", "_") and ph.symbol not in _PUNCT
        if speaking and not in_word:
            onsets.append(ph.start)
        in_word = speaking
    if len(onsets) != len(words):
        return []
    return list(zip(words, onsets, strict=True))


class PiperTTS:
    """``TTS`` with a Piper voice (the shipped ``en_US-joe-medium`` unless a file is given)."""

    name = "piper"

    def __init__(self, model_path: str | Path | None = None, threads: int | None = None) -> None:
        from kinema.config import get_settings

        settings = get_settings()
        custom = model_path or settings.piper_voice
        if custom:
            path = Path(custom)
            if not path.is_file():
                raise BackendUnavailable(f"tts: Piper voice file {path} does not exist.")
            expected = settings.piper_voice_sha256.strip().lower()
            if expected and sha256_file(path) != expected:
                raise ModelIntegrityError(
                    f"tts: {path} does not match KINEMA_PIPER_VOICE_SHA256 (corrupted file?)."
                )
        else:
            path = verified_path(PIPER_JOE)
        self.model = PiperVoiceModel(path, threads or settings.tts_threads)
        self.voice_name = path.name.removesuffix(".onnx")
        self.sample_rate = self.model.rate
        self._lock = threading.Lock()  # onnxruntime is thread-safe; Praat calls are not

    # -- one utterance ------------------------------------------------------------------------
    def _phonemes(self, text: str, espeak_voice: str) -> list[str]:
        """Clause by clause, keeping the punctuation Piper was trained with."""
        symbols: list[str] = []
        for m in _CLAUSE.finditer(text):
            body, punct = m.group(1).strip(), m.group(2)
            if not any(c.isalnum() for c in body):
                continue
            ipa = phonemize(body, espeak_voice)
            if symbols:
                symbols.append(" ")
            symbols += [s for s in split_symbols(ipa) if s in self.model.ids]
            mark = punct[:1] if punct[:1] in self.model.ids else ""
            if mark:
                symbols.append(mark)
        return symbols

    def synthesize(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Speech:
        text = " ".join((text or "").split())
        if not text:
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidInput(f"text: at most {MAX_TEXT_CHARS} characters per call.", field="text")
        base = resolve_voice(voice)
        s = settings or VoiceSettings()
        spec = apply_prosody(base, s.speed, s.pitch, s.emotion)
        espeak_voice = spec.espeak if spec.engine == "piper" else self.model.espeak_voice
        espeak_voice = _PHONEMIZER.get(espeak_voice, espeak_voice)
        symbols = self._phonemes(text, espeak_voice)
        if not symbols:
            raise InvalidInput("text: nothing speakable in the text.", field="text")
        length_scale = float(np.clip(170.0 / spec.rate, 0.25, 4.0))
        wave, frames = self.model.run(self.model.to_ids(symbols), length_scale)
        per_id = frames * _HOP
        n = min(len(wave), int(per_id.sum()))
        wave = wave[:n]
        phones = _phones(symbols, per_id, self.model.rate)
        wave = self._shape(wave, spec)
        gain = spec.volume / 100.0
        peak = float(np.abs(wave).max()) if len(wave) else 0.0
        scale = gain * min(32767.0 / max(peak * 32767.0, 1.0), 1.0) * 32767.0
        samples = np.clip(wave * scale, -32768, 32767).astype(np.int16)
        events = phones_to_events(phones)
        total = len(samples) / self.model.rate
        if events and abs(events[-1].end - total) > 1e-6:  # rounding: end exactly with the audio
            last = events[-1]
            events[-1] = PhonemeEvent(last.phoneme, last.start, max(total, last.start), last.viseme)
        return Speech(
            Audio(samples, self.model.rate), events, text, base.name, _word_onsets(text, phones)
        )

    def _shape(self, wave: np.ndarray, spec: VoiceSpec) -> np.ndarray:
        """F0 median, range and formants of the preset (Praat's PSOLA "Change gender")."""
        own = self.natural_f0
        target = (spec.f0 or own) * pitch_ratio(spec.pitch)
        pitch_range = spec.range / 50.0
        if abs(target / own - 1) < 0.01 and abs(spec.formant - 1) < 0.01 and pitch_range == 1:
            return wave
        import parselmouth
        from parselmouth.praat import call

        sound = parselmouth.Sound(wave.astype(np.float64), sampling_frequency=self.model.rate)
        seed = zlib.crc32(wave.tobytes()) & 0x7FFFFFFF
        with self._lock:  # PSOLA jitters unvoiced stretches randomly: seed it from the input
            parselmouth.praat.run(f"random_initializeWithSeedUnsafelyButPredictably ({seed})")
            out = call(
                sound,
                "Change gender",
                60,
                600,
                float(spec.formant),
                float(target),
                float(pitch_range),
                1.0,
            )
        y = np.asarray(out.values[0], np.float32)
        if len(y) >= len(wave):
            return y[: len(wave)]
        return np.pad(y, (0, len(wave) - len(y)))

    @property
    def natural_f0(self) -> float:
        return NATURAL_F0.get(self.voice_name, 120.0)

    def stream(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Iterator[Speech]:
        sentences = [x for x in split_sentences(text or "") if any(c.isalnum() for c in x)]
        if not sentences:
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        resolve_voice(voice)  # fail before the first sentence, not after it
        for sentence in sentences:
            yield self.synthesize(sentence, voice, settings)


# Median F0 of each known voice as it comes out of the model (Praat, voiced frames).
NATURAL_F0 = {"en_US-joe-medium": 120.0}
