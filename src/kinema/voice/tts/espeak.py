"""The embedded TTS: espeak-ng from the ``espeakng-loader`` wheel, driven through ctypes.

espeak-ng reports, alongside the PCM, an event per phoneme and per word with its sample
position, which gives the face exact lip-sync timings for free. The library keeps global
state and is not thread-safe: it is initialised once per process and every call holds a lock.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator

import numpy as np

from kinema.errors import EngineFailure, InvalidInput
from kinema.media.audio import Audio
from kinema.voice.presets import VoiceSpec, apply_prosody, resolve_voice
from kinema.voice.text import split_sentences
from kinema.voice.tts.base import PhonemeEvent, Speech, VoiceSettings
from kinema.voice.visemes import phoneme_to_viseme, phoneme_visemes

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 1
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_POS_CHARACTER = 1
_EVENT_WORD, _EVENT_PHONEME = 1, 7
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4
MAX_TEXT_CHARS = 20_000


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _Engine:
    """The process-wide espeak-ng instance; use only under ``_LOCK``."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        self.rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INIT_PHONEME_EVENTS
        )
        if self.rate <= 0:
            raise EngineFailure("espeak-ng failed to initialise (data files missing?).")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, int, bytes]] = []
        self._cb = _Callback(self._collect)  # keep a reference: the C side holds only a pointer
        self.lib.espeak_SetSynthCallback(self._cb)
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        self._voice = b""

    def set_voice(self, espeak_name: str) -> None:
        name = espeak_name.encode()
        if name != self._voice:
            if self.lib.espeak_SetVoiceByName(name) != 0:
                raise InvalidInput(f"voice: espeak-ng has no voice {espeak_name!r}.", field="voice")
            self._voice = name

    def phonemize(self, text: str, espeak_name: str) -> str:
        """IPA phonemes of one clause (espeak's own text-to-phoneme pass, no audio)."""
        self.set_voice(espeak_name)
        buf = ctypes.create_string_buffer(text.encode("utf-8") + b"\0")
        ptr = ctypes.c_char_p(ctypes.addressof(buf))
        parts: list[str] = []
        while ptr.value:
            out = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, _PHONEMES_IPA)
            if out:
                parts.append(out.decode("utf-8", "replace").strip())
        return " ".join(p for p in parts if p)

    def _collect(self, wav, n, events) -> int:  # noqa: ANN001 - ctypes callback
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != 0:
            e = events[i]
            if e.type in (_EVENT_PHONEME, _EVENT_WORD):
                name = e.id.string if e.type == _EVENT_PHONEME else b""
                self._events.append((e.type, e.sample, e.text_position, e.length, name))
            i += 1
        return 0

    def synth(
        self, text: str, spec: VoiceSpec
    ) -> tuple[np.ndarray, list[tuple[int, int, int, int, bytes]]]:
        self.set_voice(spec.espeak_name)
        for param, value in (
            (_PARAM_RATE, spec.rate),
            (_PARAM_PITCH, spec.pitch),
            (_PARAM_RANGE, spec.range),
            (_PARAM_VOLUME, spec.volume),
        ):
            self.lib.espeak_SetParameter(param, int(value), 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        err = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if err != 0:
            raise EngineFailure(f"espeak-ng synthesis failed (error {err}).")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return samples.astype(np.int16, copy=False), self._events


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def phonemize(text: str, espeak_name: str) -> str:
    """IPA phonemes for ``text`` in the espeak-ng voice ``espeak_name`` (thread-safe)."""
    with _LOCK:
        return _engine().phonemize(text, espeak_name)


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def _timings(
    text: str, events: list[tuple[int, int, int, int, bytes]], rate: int, n: int, language: str
) -> tuple[list[PhonemeEvent], list[tuple[str, float]]]:
    """Phoneme events (each ends where the next starts) and word onsets from raw espeak events."""
    starts: list[tuple[int, str]] = []
    words: list[tuple[str, float]] = []
    for kind, sample, pos, length, name in events:
        if kind == _EVENT_PHONEME:
            if name.startswith(b"("):  # "(en)": a language switch marker, not a sound
                continue
            starts.append((min(sample, n), name.decode("utf-8", "replace")))
        elif length > 0:
            words.append((text[pos - 1 : pos - 1 + length], min(sample, n) / rate))
    phonemes: list[PhonemeEvent] = []
    if starts and starts[0][0] > 0:  # tile the whole audio: leading silence is "sil" too
        starts.insert(0, (0, "_"))
    for i, (at, ph) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else n
        if end > at:
            phonemes.append(
                PhonemeEvent(ph, at / rate, end / rate, phoneme_to_viseme(ph, language))
            )
    return phonemes, words


_STOPS = ("p", "b", "t", "d", "k", "g", "c", "q", "tS", "dZ", "ts", "dz", "J")
_HOP_S = 0.005  # envelope resolution for closure detection
_MAX_CLOSURE_S = 0.12


def _is_stop(name: str) -> bool:
    core = name.lstrip("'\",%=")
    return core.startswith(_STOPS) and not core.startswith(("th", "dh"))  # not fricatives


def attach_closures(
    phonemes: list[PhonemeEvent], samples: np.ndarray, rate: int
) -> list[PhonemeEvent]:
    """Move each stop's start back over its silent closure.

    espeak-ng reports a stop (p, b, t, k …) at its release burst; the 30–60 ms of near
    silence before it, when the lips or tongue are already closed, is counted in the previous
    phoneme. For lip-sync the closure belongs to the stop (a "p" must show closed lips while
    the sound is silent), so the boundary is moved back to where the audio goes quiet.
    """
    hop = max(1, int(rate * _HOP_S))
    n = len(samples) // hop
    if n < 2 or not phonemes:
        return phonemes
    frames = samples[: n * hop].astype(np.float32).reshape(n, hop)
    env = np.sqrt((frames**2).mean(axis=1))
    out = list(phonemes)
    for i in range(1, len(out)):
        ph, prev = out[i], out[i - 1]
        if not _is_stop(ph.phoneme) or prev.viseme == "sil":
            continue
        a, j = int(prev.start * rate) // hop, int(ph.start * rate) // hop
        if j - a < 2:
            continue
        thr = 0.12 * env[a:j].max()
        lo = max(a + 1, j - int(_MAX_CLOSURE_S / _HOP_S))
        k = j
        while k > lo and env[k - 1] < thr:
            k -= 1
        if j - k >= 2:  # at least 10 ms of closure
            t = k * hop / rate
            out[i - 1] = PhonemeEvent(prev.phoneme, prev.start, t, prev.viseme)
            out[i] = PhonemeEvent(ph.phoneme, t, ph.end, ph.viseme)
    return out


def split_glides(phonemes: list[PhonemeEvent], language: str) -> list[PhonemeEvent]:
    """Split diphthongs into their two mouth shapes (same phoneme name, consecutive events)."""
    out: list[PhonemeEvent] = []
    for ph in phonemes:
        shapes = phoneme_visemes(ph.phoneme, language)
        t = ph.start
        for i, (viseme, share) in enumerate(shapes):
            end = ph.end if i == len(shapes) - 1 else t + share * (ph.end - ph.start)
            out.append(PhonemeEvent(ph.phoneme, t, end, viseme))
            t = end
    return out


class EspeakTTS:
    """``TTS`` backed by the embedded espeak-ng; ~1000× faster than real time on one core."""

    name = "espeak"

    @property
    def sample_rate(self) -> int:
        with _LOCK:
            return _engine().rate

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
        with _LOCK:
            eng = _engine()
            samples, events = eng.synth(text, spec)
            rate = eng.rate
        phonemes, words = _timings(text, events, rate, len(samples), spec.language)
        phonemes = split_glides(attach_closures(phonemes, samples, rate), spec.language)
        return Speech(Audio(samples, rate), phonemes, text, base.name, words)

    def stream(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Iterator[Speech]:
        sentences = [x for x in split_sentences(text or "") if any(c.isalnum() for c in x)]
        if not sentences:
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        resolve_voice(voice)  # fail before the first sentence, not after it
        for sentence in sentences:
            yield self.synthesize(sentence, voice, settings)
