"""Settings, read once from the environment (prefix ``KINEMA_``) and ``$KINEMA_HOME/kinema.env``.

Everything has an embedded default so ``kinema serve`` runs on a bare machine: SQLite and local
files under ``KINEMA_HOME`` (default ``~/.kinema``), in-process workers, offline engines.
Scale-out is the same code with other URLs: ``KINEMA_DATABASE_URL=postgresql+psycopg://...``,
``KINEMA_STORAGE_URL=s3://bucket/prefix``, ``KINEMA_EXECUTOR=ray``, and ``kinema serve --role``
(``all``, ``api``, ``dispatcher``) to run API servers and dispatchers apart (docs/scale-out.md).

Each area keeps its settings in its own section below; add fields there, with a default.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(os.environ.get("KINEMA_HOME", "~/.kinema")).expanduser()


# Runway's published prices (credits; 1 credit = $0.01). Video models: per second of output.
# Image models: per image; gen4_image has a 1080p-class surcharge handled by the pricing code.
DEFAULT_PRICES: dict[str, float] = {
    "gen4.5": 12,
    "gen4": 12,
    "gen4_turbo": 5,
    "gen3a_turbo": 5,
    "gen4_aleph": 15,
    "aleph2": 15,
    "act_two": 5,
    "gen4_image": 5,
    "gen4_image_1080p": 8,
    "gen4_image_turbo": 2,
    "gwm1_avatars": 1,  # avatar videos: per second of speech
    "upscale_v1": 2,
    # audio, upscaling and recipes (units in kinema.api.runway_v1.extra: per 50 characters of
    # text, per 3/6/2 s of input audio, per output megapixel, per second of video)
    "eleven_multilingual_v2": 1,
    "eleven_v3": 1,
    "eleven_v4": 1,
    "seed_audio": 1,
    "eleven_multilingual_sts_v2": 1,
    "eleven_voice_isolation": 1,
    "eleven_voice_dubbing": 1,
    "magnific_precision_upscaler_v2": 1,
    "magnific_video_upscaler_creative": 2,
    "enhance_frame_rate": 1,
    "multi_shot_video": 12,
    "multi_shot_video_1080p": 20,
}

# Runway model name -> "engine:preset". Only models listed here are accepted; anything else is a
# 400 that names these. The embedded compositor serves the Gen-4 family.
DEFAULT_MODELS: dict[str, str] = {
    "gen4_turbo": "compositor:fast",
    "gen4.5": "compositor:quality",
    "gen4": "compositor:quality",
    "gen4_image": "compositor:still",
    "gen4_image_turbo": "compositor:still_fast",
    "gen4_aleph": "compositor:edit",
    "aleph2": "compositor:edit",
    "act_two": "face:performance",
    "gwm1_avatars": "face:avatar",
    "eleven_multilingual_v2": "voice:tts",
    "eleven_v3": "voice:tts",
    "eleven_v4": "voice:tts",
    "seed_audio": "voice:tts_reference",
    "eleven_multilingual_sts_v2": "voice:asr_tts",
    "eleven_voice_isolation": "voice:spectral_gate",
    "eleven_voice_dubbing": "voice:asr_tts_same_language",
    "magnific_precision_upscaler_v2": "upscale:classic",
    "magnific_video_upscaler_creative": "upscale:classic",
    "enhance_frame_rate": "upscale:optical_flow",
    "multi_shot_video": "compositor:fast",
}


SECRET_FIELDS = frozenset({"secret_key", "llm_api_key"})
SECRET_SUFFIXES = ("_api_key", "_secret", "_token", "_password")


def _has_password(value: str) -> bool:
    """``scheme://user:password@host/...``"""
    from urllib.parse import urlsplit

    if "://" not in value or "@" not in value:
        return False
    try:
        return bool(urlsplit(value).password)
    except ValueError:
        return True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KINEMA_", env_file=None, extra="ignore", protected_namespaces=()
    )

    # -- where things live ------------------------------------------------------------------
    home: Path = Field(default_factory=_default_home)
    database_url: str = ""  # default: sqlite:///$home/kinema.db
    # default: $home/files. Any fsspec URL all processes can reach: s3://bucket/prefix (needs
    # the [s3] extra) or a shared folder. memory:// is one process only (tests; no workers).
    storage_url: str = ""
    # fsspec options for storage_url, e.g. {"endpoint_url": "http://127.0.0.1:9000"} for an
    # S3-compatible server; credentials belong in the environment (AWS_ACCESS_KEY_ID, ...)
    storage_options: dict[str, Any] = Field(default_factory=dict)
    # how /files/<key> serves non-local storage: proxy (streamed by kinema, Range supported)
    # | presign (a redirect to a short-lived presigned storage URL; S3 and compatibles)
    storage_serve: str = "proxy"
    public_url: str = ""  # how clients reach the service; default http://{host}:{port}
    # signs output URLs and connect details; default: generated once into $home/secret.key.
    # Several nodes must share one (a split role or a peer with another key refuses to start).
    secret_key: str = ""

    # -- server -------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    role: str = "all"  # all (API + dispatcher) | api (HTTP only) | dispatcher (runs tasks only)
    # how clients reach this very node (live sessions are routed to the node that holds them);
    # default: public_url, else http://{host}:{port}
    node_url: str = ""
    node_lease_seconds: float = 15.0  # a node that has not heartbeated for this long is dead
    db_pool_size: int = 5  # PostgreSQL connections kept per process (plus db_max_overflow)
    db_max_overflow: int = 10

    # -- platform -----------------------------------------------------------------------------
    executor: str = "local"  # local (worker processes) | ray
    workers: int = 2  # render processes of the local executor
    worker_prewarm: bool = True  # workers import the engines at start, not at the first task
    ray_address: str = ""  # "" = start/attach a local Ray; "host:6379" or "ray://host:10001"
    # Ray resources a task asks for, by engine (the part of the model mapping before ":"), or
    # by task kind; "default" for the rest. e.g. {"diffusers": {"num_gpus": 1, "num_cpus": 2}}
    ray_resources: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {"default": {"num_cpus": 1.0}, "diffusers": {"num_gpus": 1.0}}
    )
    initial_credits: int = 1000  # grant for a new organization
    max_concurrent_tasks: int = 2  # per organization; more are THROTTLED (FIFO)
    max_daily_tasks: int = 1000  # per organization, rolling 24 h; more get 429
    # shown as tier.maxMonthlyCreditSpend (Runway caps credit purchases with it); self-hosted
    # credits come from `kinema credits add`, which it does not limit; 0 = no cap
    max_monthly_credit_spend: int = 0
    task_max_attempts: int = 2  # a task interrupted this many times fails with INTERNAL
    # a RUNNING task whose heartbeat is older than this is recovered by any dispatcher
    task_lease_seconds: float = 30.0
    output_url_ttl: int = 24 * 3600  # seconds a signed output URL stays valid
    prices: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    models: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_MODELS))
    # prompts containing one of these (case-insensitive) fail with SAFETY.INPUT.TEXT
    blocked_terms: list[str] = Field(default_factory=list)

    # -- media inputs -------------------------------------------------------------------------
    fetch_timeout: float = 10.0
    max_image_bytes: int = 16 * 1024 * 1024
    max_video_bytes: int = 32 * 1024 * 1024
    max_upload_bytes: int = 200 * 1024 * 1024
    allow_private_urls: bool = False  # tests may serve media on loopback; never in production
    allow_http_urls: bool = False

    # -- voice / brain / knowledge -------------------------------------------------------------
    tts: str = "auto"  # auto (each preset's engine: piper for English) | piper | espeak
    tts_threads: int = 1  # onnxruntime threads per neural synthesis (sessions run in parallel)
    piper_voice: str = ""  # a .onnx Piper voice of your own (default: the shipped en_US-joe)
    piper_voice_sha256: str = ""  # checked at load when set
    asr: str = "whisper"  # whisper (shipped tiny.en) | pocketsphinx | openai
    whisper_model: str = ""  # a CTranslate2 Whisper directory (default: the shipped tiny.en)
    whisper_device: str = "cpu"
    whisper_compute_type: str = "int8"
    whisper_language: str = "en"  # "" = detect (multilingual models only)
    whisper_threads: int = 1
    brain: str = "embedded"  # embedded | openai
    llm_base_url: str = ""  # e.g. http://127.0.0.1:11434/v1 (Ollama)
    llm_model: str = ""
    llm_api_key: str = "not-needed"
    llm_timeout: float = 20.0
    asr_base_url: str = ""
    asr_model: str = "whisper-1"
    max_document_bytes: int = 20 * 1024 * 1024
    embedder: str = "minilm"  # minilm (all-MiniLM-L6-v2, numpy) | none (word matching only)

    # -- video --------------------------------------------------------------------------------
    video_threads: int = 0  # OpenCV threads per render (0 = OpenCV's default: all cores)

    # -- diffusers (optional extra: pip install 'kinema[diffusers]'; models "diffusers:ltx|wan") --
    diffusers_model_path: str = ""  # local diffusers folder (model_index.json); never downloaded
    diffusers_device: str = "auto"  # auto (cuda if available, else cpu) | cuda | cuda:1 | cpu | mps
    diffusers_dtype: str = "auto"  # auto (bfloat16 on cuda, float32 elsewhere) | float16 | ...
    diffusers_steps: int = 0  # denoising steps; 0 = the model family's default

    # -- live -----------------------------------------------------------------------------------
    live_fps: int = 24
    live_size: int = 512
    live_idle_timeout: float = 120.0
    live_max_duration: int = 300
    # unfinished sessions (preparing, READY, RUNNING) one organization / one key (API key or
    # publishable pk_ key) may hold at once; more are a 429 naming the limit (docs/security.md)
    live_max_sessions_per_org: int = 10
    live_max_sessions_per_key: int = 4

    # -- abuse limits ---------------------------------------------------------------------------
    # heavy decodes (audio, images over 4 MP) one organization may run at once in this process,
    # and how many more may wait for their turn; beyond that a 429 (the process runs 2 at once)
    max_heavy_decodes_per_org: int = 1
    max_heavy_decodes_queued_per_org: int = 4

    # WebRTC beyond a LAN (kinema.live.ice): STUN/TURN servers for both peers, as JSON, e.g.
    # '[{"urls": ["turn:turn.example.com:3478"], "username": "u", "credential": "p"}]'
    live_ice_servers: list[dict[str, Any] | str] = Field(default_factory=list)
    live_ice_transport_policy: Literal["all", "relay"] = "all"  # relay: TURN candidates only
    live_turn_secret: str = ""  # coturn use-auth-secret: per-session TURN credentials
    live_turn_ttl: int = 86400  # seconds those credentials stay valid
    live_webrtc_bitrate: int = 1_000_000  # bits/s of the shared per-session VP8/H.264 encode

    @field_validator("live_ice_servers")
    @classmethod
    def _check_ice_servers(cls, value: list[dict[str, Any] | str]) -> list[dict[str, Any] | str]:
        for i, entry in enumerate(value):
            urls = entry if isinstance(entry, str) else entry.get("urls", entry.get("url"))
            for url in [urls] if isinstance(urls, str) else urls or [None]:
                if not isinstance(url, str) or not url.startswith(
                    ("stun:", "stuns:", "turn:", "turns:")
                ):
                    raise ValueError(f"live_ice_servers[{i}]: {url!r} is not a stun:/turn: URL")
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'kinema.db'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str(self.home / "files")

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_node_url(self) -> str:
        return (self.node_url or self.resolved_public_url).rstrip("/")

    def for_worker(self) -> dict[str, Any]:
        """The settings a job carries to its worker: everything but secrets. Secret fields and
        URLs with a password in them are left out; a worker reads those from its own
        environment (``KINEMA_*``, ``PGPASSWORD``/``~/.pgpass``, ``AWS_*``)."""
        out = self.model_dump(mode="json")
        for name in list(out):
            value = out[name]
            secret = name in SECRET_FIELDS or name.endswith(SECRET_SUFFIXES)
            if secret or (isinstance(value, str) and _has_password(value)):
                del out[name]
        out["storage_options"] = {
            k: v
            for k, v in self.storage_options.items()
            if not any(w in k.lower() for w in ("key", "secret", "token", "password"))
            or k == "endpoint_url"
        }
        return out

    def resolved_secret_key(self) -> str:
        """The URL-signing secret; generated on first use and kept in ``$home/secret.key``."""
        if self.secret_key:
            return self.secret_key
        path = self.home / "secret.key"
        if not path.exists():
            import secrets

            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            # created owner-only (never world-readable, not even for an instant)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process won the race; use its key
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32))
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings. Tests call ``get_settings.cache_clear()`` after changing env."""
    home = _default_home()
    env_file = home / "kinema.env"
    if env_file.exists():
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    return Settings()
