"""Named voices: espeak-ng language + variant + pitch/range/rate, and per-utterance prosody.

A ``VoicePreset`` is a catalogue entry (who the voice is); a ``VoiceSpec`` is what an engine
needs to speak (which espeak voice, at what pitch and pace). Presets resolve to specs; voice
design and voice matching produce specs directly, so custom voices need no catalogue entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from kinema.errors import InvalidInput, UnknownVoice

ENGINES = ("espeak", "piper")
_ESPEAK_NAME = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$", re.IGNORECASE)


@lru_cache(maxsize=1)
def espeak_variants() -> frozenset[str]:
    """Names of the voice variants (timbres) shipped in espeak-ng-data/voices/!v."""
    import espeakng_loader

    return frozenset(
        p.name for p in (Path(espeakng_loader.get_data_path()) / "voices" / "!v").iterdir()
    )


@dataclass(frozen=True)
class VoiceSpec:
    """Everything the embedded engine needs to speak in one voice; JSON-serialisable."""

    name: str  # preset id this spec came from, or a custom name
    language: str  # BCP-47 tag, e.g. "en-GB"
    espeak: str  # espeak-ng voice name, e.g. "en-gb"
    variant: str = ""  # espeak-ng variant from voices/!v, e.g. "m3"
    gender: str = "female"
    age: str = "adult"  # child | young | adult | senior
    pitch: int = 50  # espeak pitch 0..100 (50 = the variant's natural pitch)
    range: int = 50  # espeak intonation range 0..100
    rate: int = 170  # words per minute
    volume: int = 100  # espeak amplitude 0..200 (piper: gain, 100 = unity)
    engine: str = "espeak"  # espeak (formant synthesis) | piper (the neural voice)
    f0: float = 0.0  # piper: median F0 in Hz at pitch 50 (0 = the neural voice's own)
    formant: float = 1.0  # piper: formant shift ratio (>1 shorter vocal tract: female, child)

    def __post_init__(self) -> None:
        """Reject specs the engines cannot use (they may come from clients as JSON)."""
        if self.engine not in ENGINES:
            raise InvalidInput(
                f"voice: engine must be one of {', '.join(ENGINES)}, not {self.engine!r}.",
                field="voice",
            )
        if not (self.f0 == 0 or 50 <= self.f0 <= 500) or not 0.7 <= self.formant <= 1.5:
            raise InvalidInput(
                "voice: f0 must be 0 or within 50..500 Hz and formant within 0.7..1.5.",
                field="voice",
            )
        if not _ESPEAK_NAME.match(self.espeak or ""):
            raise InvalidInput(f"voice: bad espeak voice name {self.espeak!r}.", field="voice")
        if self.variant and self.variant not in espeak_variants():
            raise InvalidInput(f"voice: unknown espeak variant {self.variant!r}.", field="voice")
        for key, lo, hi in (
            ("pitch", 0, 100),
            ("range", 0, 100),
            ("rate", 80, 450),
            ("volume", 0, 200),
        ):
            value = getattr(self, key)
            if not isinstance(value, int | float) or not lo <= value <= hi:
                raise InvalidInput(f"voice: {key} must be within {lo}..{hi}.", field="voice")

    @property
    def espeak_name(self) -> str:
        return f"{self.espeak}+{self.variant}" if self.variant else self.espeak

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | dict) -> VoiceSpec:
        try:
            data = json.loads(text) if isinstance(text, str) else dict(text)
            known = {f for f in cls.__dataclass_fields__}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"voice: not a valid voice spec ({exc}).", field="voice") from None


@dataclass(frozen=True)
class VoicePreset:
    id: str
    name: str
    language: str
    gender: str
    age: str
    timbre: tuple[str, ...]
    description: str
    espeak: str
    variant: str
    pitch: int = 50
    range: int = 50
    rate: int = 170
    tags: tuple[str, ...] = field(default=())
    engine: str = "espeak"
    f0: float = 0.0
    formant: float = 1.0

    def spec(self) -> VoiceSpec:
        return VoiceSpec(
            engine=self.engine,
            f0=self.f0,
            formant=self.formant,
            name=self.id,
            language=self.language,
            espeak=self.espeak,
            variant=self.variant,
            gender=self.gender,
            age=self.age,
            pitch=self.pitch,
            range=self.range,
            rate=self.rate,
        )


# id | display name | language | espeak voice+variant | gender | age | pitch range rate | timbre
# words | description. A table rather than code so the catalogue reads (and diffs) at a glance.
_TABLE = """
emma      | Emma      | en-US          | en-us+f2               | female | adult  |  52  55 170 | warm clear           | Friendly American woman, clear and warm; a good default assistant.
james     | James     | en-US          | en-us+m3               | male   | adult  |  48  45 165 | calm neutral         | Calm American man with an even, trustworthy delivery.
lily      | Lily      | en-US          | en-us+f5               | female | child  |  80  70 185 | bright light         | Bright, quick American girl.
max       | Max       | en-US          | en-us+m2               | male   | young  |  60  65 190 | energetic bright     | Energetic young American man, upbeat and fast.
ruth      | Ruth      | en-US          | en-us+grandma          | female | senior |  45  45 140 | breathy soft shaky   | Gentle American grandmother, soft and a little shaky.
walter    | Walter    | en-US          | en-us+grandpa          | male   | senior |  35  40 135 | deep gravelly slow   | Old American man, deep and unhurried.
grace     | Grace     | en-US          | en-us+f4               | female | adult  |  48  50 165 | smooth professional  | Smooth, professional American presenter.
leo       | Leo       | en-US          | en-us+m7               | male   | adult  |  35  45 150 | deep resonant        | Deep, resonant American narrator voice.
oliver    | Oliver    | en-GB          | en+m1                  | male   | adult  |  45  45 165 | crisp formal         | Crisp, formal British man.
charlotte | Charlotte | en-GB          | en+f3                  | female | adult  |  52  55 165 | clear elegant        | Elegant, clear British woman.
arthur    | Arthur    | en-GB          | en+m4                  | male   | senior |  30  40 140 | deep slow gravelly   | Deep-voiced older British gentleman, slow and measured.
poppy     | Poppy     | en-GB          | en+f1                  | female | young  |  65  65 180 | bright lively        | Lively young British woman.
fiona     | Fiona     | en-GB-scotland | en-gb-scotland+f2      | female | adult  |  50  55 165 | warm lilting         | Warm Scottish woman.
hannah    | Hannah    | de-DE          | de+f3                  | female | adult  |  50  50 160 | clear precise        | Clear, precise German woman.
lukas     | Lukas     | de-DE          | de+m3                  | male   | adult  |  45  45 160 | firm neutral         | Firm, neutral German man.
greta     | Greta     | de-DE          | de+grandma             | female | senior |  45  45 135 | soft breathy         | Soft-spoken German grandmother.
camille   | Camille   | fr-FR          | fr+f2                  | female | adult  |  52  55 165 | soft elegant         | Soft, elegant French woman.
louis     | Louis     | fr-FR          | fr+m1                  | male   | adult  |  42  45 160 | warm low             | Warm, low-pitched French man.
chloe     | Chloé     | fr-FR          | fr+f5                  | female | young  |  65  60 180 | bright airy          | Bright young French woman.
lucia     | Lucía     | es-ES          | es+f4                  | female | adult  |  52  60 170 | warm expressive      | Warm, expressive Spanish woman.
mateo     | Mateo     | es-ES          | es+m6                  | male   | adult  |  45  50 165 | rich steady          | Steady Spanish man with a rich tone.
sofia     | Sofía     | es-419         | es-419+f1              | female | young  |  60  60 175 | bright friendly      | Friendly young Latin American woman.
diego     | Diego     | es-419         | es-419+m2              | male   | young  |  55  60 180 | energetic clear      | Energetic young Latin American man.
giulia    | Giulia    | it-IT          | it+f3                  | female | adult  |  52  65 170 | melodic warm         | Melodic Italian woman.
marco     | Marco     | it-IT          | it+m3                  | male   | adult  |  45  60 170 | warm expressive      | Expressive Italian man.
beatriz   | Beatriz   | pt-BR          | pt-br+f2               | female | adult  |  52  55 165 | soft warm            | Soft, warm Brazilian woman.
tiago     | Tiago     | pt-PT          | pt+m1                  | male   | adult  |  42  45 160 | calm low             | Calm European Portuguese man.
sanne     | Sanne     | nl-NL          | nl+f4                  | female | adult  |  50  50 165 | clear friendly       | Friendly Dutch woman.
daan      | Daan      | nl-NL          | nl+m6                  | male   | adult  |  45  45 160 | steady neutral       | Steady Dutch man.
anna      | Anna      | ru-RU          | ru+f3                  | female | adult  |  50  50 160 | clear firm           | Clear Russian woman.
ivan      | Ivan      | ru-RU          | ru+m4                  | male   | adult  |  38  40 155 | deep firm            | Deep, firm Russian man.
zofia     | Zofia     | pl-PL          | pl+f2                  | female | adult  |  52  55 165 | bright clear         | Bright Polish woman.
jakub     | Jakub     | pl-PL          | pl+m2                  | male   | adult  |  45  45 160 | neutral clear        | Clear Polish man.
elsa      | Elsa      | sv-SE          | sv+f5                  | female | young  |  60  60 170 | light melodic        | Light, melodic young Swedish woman.
erik      | Erik      | sv-SE          | sv+m1                  | male   | adult  |  42  45 160 | calm low             | Calm Swedish man.
priya     | Priya     | hi-IN          | hi+f2                  | female | adult  |  52  55 165 | warm melodic         | Warm Hindi-speaking woman.
arjun     | Arjun     | hi-IN          | hi+m3                  | male   | adult  |  45  45 160 | calm clear           | Calm Hindi-speaking man.
elif      | Elif      | tr-TR          | tr+f4                  | female | adult  |  50  50 165 | clear warm           | Clear Turkish woman.
mei       | Mei       | zh-CN          | cmn+f3                 | female | adult  |  52  50 160 | bright clear         | Bright Mandarin-speaking woman.
wei       | Wei       | zh-CN          | cmn+m3                 | male   | adult  |  45  45 155 | calm neutral         | Calm Mandarin-speaking man.
yui       | Yui       | ja-JP          | ja+f3                  | female | young  |  58  55 160 | light gentle         | Gentle young Japanese woman (reads kana; kanji are skipped by espeak).
haruto    | Haruto    | ja-JP          | ja+m3                  | male   | adult  |  45  45 155 | calm polite          | Calm, polite Japanese man (reads kana).
jiwoo     | Jiwoo     | ko-KR          | ko+f2                  | female | adult  |  52  55 160 | bright friendly      | Friendly Korean woman.
layla     | Layla     | ar             | ar+f4                  | female | adult  |  50  55 155 | warm clear           | Warm Arabic-speaking woman.
omar      | Omar      | ar             | ar+m3                  | male   | adult  |  42  45 150 | deep calm            | Calm, deep Arabic-speaking man.
putri     | Putri     | id-ID          | id+f2                  | female | adult  |  52  55 165 | soft friendly        | Friendly Indonesian woman.
linh      | Linh      | vi-VN          | vi+f1                  | female | young  |  58  55 160 | light clear          | Clear young Vietnamese woman.
oksana    | Oksana    | uk-UA          | uk+f3                  | female | adult  |  50  50 160 | clear warm           | Warm Ukrainian woman.
eleni     | Eleni     | el-GR          | el+f2                  | female | adult  |  52  55 165 | warm melodic         | Melodic Greek woman.
aino      | Aino      | fi-FI          | fi+f5                  | female | young  |  58  50 160 | light calm           | Calm young Finnish woman.
tereza    | Tereza    | cs-CZ          | cs+f4                  | female | adult  |  50  50 160 | clear precise        | Precise Czech woman.
freja     | Freja     | da-DK          | da+f2                  | female | adult  |  52  55 160 | soft warm            | Soft Danish woman.
nora      | Nora      | nb-NO          | nb+f3                  | female | adult  |  52  55 160 | bright clear         | Bright Norwegian woman.
levente   | Levente   | hu-HU          | hu+m1                  | male   | adult  |  44  45 160 | steady warm          | Steady Hungarian man.
andrei    | Andrei    | ro-RO          | ro+m6                  | male   | adult  |  45  50 160 | warm expressive      | Expressive Romanian man.
"""  # noqa: E501


def _parse(table: str) -> tuple[VoicePreset, ...]:
    presets = []
    for line in table.strip().splitlines():
        id_, name, lang, voice, gender, age, numbers, timbre, desc = (
            c.strip() for c in line.split("|")
        )
        espeak, _, variant = voice.partition("+")
        pitch, rng, rate = (int(n) for n in numbers.split())
        presets.append(
            VoicePreset(
                id_,
                name,
                lang,
                gender,
                age,
                tuple(timbre.split()),
                desc,
                espeak,
                variant,
                pitch,
                rng,
                rate,
            )
        )
    return tuple(presets)


# F0 relative to pitch 50 at espeak pitch 0, 10, ..., 100 (measured with YIN on f2/m3 voices:
# the same curve for every variant, not the symmetric octave one might expect).
_PITCH_CURVE = np.array([0.675, 0.72, 0.77, 0.845, 0.92, 1.0, 1.10, 1.225, 1.36, 1.51, 1.67])
_PITCH_STEPS = np.arange(0, 101, 10)


def pitch_ratio(pitch: float) -> float:
    """F0 at espeak pitch ``pitch`` relative to F0 at pitch 50."""
    return float(np.interp(pitch, _PITCH_STEPS, _PITCH_CURVE))


def pitch_for_ratio(ratio: float) -> int:
    """The espeak pitch (0..100) whose F0 is ``ratio`` × F0 at pitch 50 (clamped)."""
    return int(round(float(np.interp(ratio, _PITCH_CURVE, _PITCH_STEPS))))


# English presets speak with the shipped neural voice (Piper en_US-joe-medium, a man's voice),
# given their own register by PSOLA: median F0 (Hz) and formant shift ratio. espeak-ng still
# phonemises (en-us, en for British, en-gb-scotland), so the British presets keep their vowels.
NEURAL: dict[str, tuple[float, float]] = {
    "leo": (78.0, 0.88),
    "walter": (88.0, 0.92),
    "arthur": (98.0, 0.95),
    "oliver": (108.0, 0.97),
    "james": (0.0, 1.0),  # the voice as recorded (≈118 Hz)
    "max": (140.0, 1.05),
    "ruth": (170.0, 1.08),
    "grace": (183.0, 1.12),
    "fiona": (196.0, 1.14),
    "emma": (212.0, 1.17),
    "charlotte": (228.0, 1.20),
    "poppy": (252.0, 1.22),
    "lily": (290.0, 1.26),
}


def _with_engines(presets: tuple[VoicePreset, ...]) -> tuple[VoicePreset, ...]:
    out = []
    for p in presets:
        if p.id in NEURAL:
            f0, formant = NEURAL[p.id]
            # f0 is stored "at pitch 50", so that the preset's own pitch (kept for espeak)
            # lands the neural voice on the median F0 of the table
            base = round(f0 / pitch_ratio(p.pitch), 1) if f0 else 0.0
            p = replace(p, engine="piper", f0=base, formant=formant)
        out.append(p)
    return tuple(out)


_PRESETS = _with_engines(_parse(_TABLE))
# A short sentence per language, for previews, tests and benchmarks.
SAMPLE_TEXT: dict[str, str] = {
    "en": "Hello, my name is Kinema. What is the weather like today?",
    "de": "Guten Morgen, wie geht es dir heute? Das Wetter ist schön.",
    "fr": "Bonjour, comment allez-vous aujourd'hui? Il fait beau.",
    "es": "Hola, ¿cómo estás hoy? Me gusta mucho hablar contigo.",
    "it": "Buongiorno, come stai oggi? Mi piace parlare con te.",
    "pt": "Olá, como você está hoje? O tempo está muito bom.",
    "nl": "Goedemorgen, hoe gaat het vandaag met je? Het weer is mooi.",
    "ru": "Здравствуйте, как у вас дела сегодня? Погода очень хорошая.",
    "pl": "Dzień dobry, jak się masz dzisiaj? Pogoda jest piękna.",
    "sv": "God morgon, hur mår du idag? Vädret är vackert.",
    "hi": "नमस्ते, आज आप कैसे हैं? मौसम बहुत अच्छा है।",
    "tr": "Merhaba, bugün nasılsınız? Hava çok güzel.",
    "zh": "你好，你今天好吗？天气很好。",
    "ja": "こんにちは、おげんきですか。きょうはいいてんきですね。",
    "ko": "안녕하세요, 오늘 기분이 어때요? 날씨가 정말 좋아요.",
    "ar": "مرحبا، كيف حالك اليوم؟ الطقس جميل جدا.",
    "id": "Selamat pagi, apa kabar hari ini? Cuacanya sangat bagus.",
    "vi": "Xin chào, hôm nay bạn có khỏe không? Thời tiết rất đẹp.",
    "uk": "Доброго ранку, як у вас справи сьогодні? Погода дуже гарна.",
    "el": "Καλημέρα, πώς είστε σήμερα; Ο καιρός είναι πολύ ωραίος.",
    "fi": "Hyvää huomenta, mitä kuuluu tänään? Sää on todella kaunis.",
    "cs": "Dobré ráno, jak se dnes máte? Počasí je opravdu krásné.",
    "da": "Godmorgen, hvordan har du det i dag? Vejret er meget smukt.",
    "nb": "God morgen, hvordan har du det i dag? Været er veldig fint.",
    "hu": "Jó reggelt, hogy van ma? Az idő nagyon szép.",
    "ro": "Bună dimineața, ce mai faceți astăzi? Vremea este foarte frumoasă.",
}


def sample_text(language: str) -> str:
    """A preview sentence for ``language`` (BCP-47; falls back to English)."""
    return SAMPLE_TEXT.get(language.split("-")[0].lower(), SAMPLE_TEXT["en"])


PRESETS: dict[str, VoicePreset] = {p.id: p for p in _PRESETS}
DEFAULT_VOICE = "emma"
LANGUAGES: tuple[str, ...] = tuple(sorted({p.language for p in _PRESETS}))


@dataclass(frozen=True)
class Prosody:
    """Multipliers an emotion applies on top of a voice: pitch, intonation range, rate, volume."""

    pitch: float = 1.0
    range: float = 1.0
    rate: float = 1.0
    volume: float = 1.0


EMOTIONS: dict[str, Prosody] = {
    "neutral": Prosody(),
    "happy": Prosody(pitch=1.12, range=1.45, rate=1.08, volume=1.05),
    "excited": Prosody(pitch=1.18, range=1.7, rate=1.18, volume=1.15),
    "sad": Prosody(pitch=0.88, range=0.45, rate=0.82, volume=0.8),
    "angry": Prosody(pitch=1.04, range=1.5, rate=1.1, volume=1.3),
    "surprised": Prosody(pitch=1.22, range=1.8, rate=1.05, volume=1.1),
    "fearful": Prosody(pitch=1.15, range=0.8, rate=1.15, volume=0.9),
    "thinking": Prosody(pitch=0.97, range=0.7, rate=0.85, volume=0.9),
    "calm": Prosody(pitch=0.95, range=0.7, rate=0.9, volume=0.9),
}
_EMOTION_ALIASES = {
    "joy": "happy",
    "smile": "happy",
    "fear": "fearful",
    "surprise": "surprised",
    "anger": "angry",
    "sorrow": "sad",
    "relaxed": "calm",
    "curious": "thinking",
}


def get_preset(name: str) -> VoicePreset:
    """The preset called ``name`` (case-insensitive); ``UnknownVoice`` names some valid ones."""
    preset = PRESETS.get(name.strip().lower())
    if preset is None:
        some = ", ".join(list(PRESETS)[:8])
        raise UnknownVoice(
            f"voice: unknown voice {name!r}. Try one of {some} … (`kinema voices` lists all "
            f"{len(PRESETS)}).",
            field="voice",
        )
    return preset


def resolve_voice(voice: str | VoiceSpec | None) -> VoiceSpec:
    """A preset name, a Runway preset id (``victoria``, ``Maya`` …), a ``VoiceSpec`` or its JSON
    → ``VoiceSpec``; ``None`` is the default. Kinema preset names win over Runway ids."""
    if voice is None:
        return get_preset(DEFAULT_VOICE).spec()
    if isinstance(voice, VoiceSpec):
        return voice
    if voice.lstrip().startswith("{"):
        return VoiceSpec.from_json(voice)
    if voice.strip().lower() not in PRESETS:
        from kinema.voice.runway_presets import LIVE_PRESETS, TTS_PRESETS

        runway = LIVE_PRESETS.get(voice.strip()) or TTS_PRESETS.get(voice.strip())
        if runway is not None:
            return runway.spec()
    return get_preset(voice).spec()


def get_emotion(name: str) -> Prosody:
    key = name.strip().lower()
    key = _EMOTION_ALIASES.get(key, key)
    if key not in EMOTIONS:
        raise InvalidInput(
            f"emotion: unknown emotion {name!r}; use one of {', '.join(EMOTIONS)}.", field="emotion"
        )
    return EMOTIONS[key]


def _clamp(value: float, lo: int, hi: int) -> int:
    return int(round(min(hi, max(lo, value))))


def apply_prosody(
    spec: VoiceSpec, speed: float = 1.0, pitch: float = 1.0, emotion: str = "neutral"
) -> VoiceSpec:
    """The spec with speed/pitch multipliers and an emotion applied, clamped to espeak's ranges.

    espeak's pitch parameter spans only ≈0.68×..1.67× of a variant's F0, so pitch multipliers
    beyond that are clamped.
    """
    if not (0.25 <= speed <= 4.0) or not (0.25 <= pitch <= 4.0):
        raise InvalidInput(
            "voice settings: speed and pitch must be between 0.25 and 4.", field="voice"
        )
    pro = get_emotion(emotion)
    return replace(
        spec,
        pitch=pitch_for_ratio(pitch_ratio(spec.pitch) * pitch * pro.pitch),
        range=_clamp(spec.range * pro.range, 0, 100),
        rate=_clamp(spec.rate * speed * pro.rate, 80, 450),
        volume=_clamp(spec.volume * pro.volume, 0, 200),
    )
