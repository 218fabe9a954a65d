"""ASR through any OpenAI-compatible ``/audio/transcriptions`` endpoint (OpenAI, a local
faster-whisper-server, vLLM, LocalAI …): base URL and model from settings."""

from __future__ import annotations

from kinema.errors import BackendUnavailable, EngineFailure
from kinema.media.audio import Audio
from kinema.voice.asr.base import Transcript, Word


class OpenAIASR:
    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        http_client: object | None = None,  # an httpx.Client, e.g. with a test transport
    ) -> None:
        from kinema.config import get_settings

        settings = get_settings()
        self.base_url = base_url or settings.asr_base_url
        self.model = model or settings.asr_model
        if not self.base_url:
            raise BackendUnavailable("asr: set KINEMA_ASR_BASE_URL to use the openai ASR backend.")
        from openai import OpenAI

        self._client = OpenAI(
            base_url=self.base_url,
            api_key=api_key or settings.llm_api_key,
            timeout=30.0,
            http_client=http_client,  # type: ignore[arg-type]
        )

    def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        from openai import omit

        lang = language.split("-")[0].lower() if language else omit
        try:
            result = self._client.audio.transcriptions.create(
                model=self.model,
                language=lang,
                file=("speech.wav", audio.to_wav(), "audio/wav"),
                response_format="verbose_json",
                timestamp_granularities=["word"],
            )
        except Exception as exc:  # network and API errors all mean "backend failed"
            raise EngineFailure(f"asr: transcription request failed ({exc}).") from None
        words = [
            Word(w.word, float(w.start), float(w.end))
            for w in (getattr(result, "words", None) or [])
        ]
        text = (getattr(result, "text", "") or "").strip()
        return Transcript(text, 1.0 if text else 0.0, words, getattr(result, "language", "en"))
