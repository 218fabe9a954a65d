"""Voice: speech out (TTS with phoneme timings), speech in (ASR, VAD), and the voice catalogue.

Entry points: ``tts.get_tts().synthesize(text, voice, VoiceSettings(...)) -> Speech`` (or
``.stream`` per sentence), ``presets.PRESETS`` / ``DEFAULT_VOICE``, ``design`` (voice from a
description or matched to a sample), ``runway_presets`` (Runway ids → voices),
``asr.get_asr().transcribe(audio)``, ``vad.StreamingVAD`` and ``visemes.phoneme_to_viseme``.
"""
