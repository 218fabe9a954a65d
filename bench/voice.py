"""Voice figures: TTS real-time factor per engine, ASR real-time factor, TTS→ASR WER per preset.

python bench/voice.py [--presets emma,leo]    (figures, never pass/fail)
"""

from __future__ import annotations

import argparse
import time

from kinema.voice.analysis import word_error_rate
from kinema.voice.asr import get_asr
from kinema.voice.presets import NEURAL
from kinema.voice.tts import get_tts

TEXT = (
    "Could you tell me where the nearest train station is? We should plant the tomatoes "
    "before the rain comes. The museum opens early and closes late in the evening."
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default=",".join(NEURAL))
    args = ap.parse_args()
    asr = get_asr("whisper")
    for engine, voice in (("espeak", "emma"), ("piper", "emma")):
        tts = get_tts(engine)
        tts.synthesize("Warm up.", voice)
        t = time.perf_counter()
        speech = tts.synthesize(TEXT, voice)
        el = time.perf_counter() - t
        print(
            f"tts {engine:7s} RTF {el / speech.audio.duration:.3f} ({speech.audio.duration:.1f} s)"
        )
    asr_time = asr_audio = 0.0
    for voice in args.presets.split(","):
        speech = get_tts("piper").synthesize(TEXT, voice)
        t = time.perf_counter()
        heard = asr.transcribe(speech.audio).text
        asr_time += time.perf_counter() - t
        asr_audio += speech.audio.duration
        print(f"wer {voice:10s} {100 * word_error_rate(TEXT, heard):5.1f} %")
    print(f"asr whisper RTF {asr_time / max(asr_audio, 1e-9):.3f}")


if __name__ == "__main__":
    main()
