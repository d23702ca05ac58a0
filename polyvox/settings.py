"""One settings object for the whole server, read from ``POLYVOX_*`` environment variables.

Nested sections split on ``__`` (``POLYVOX_LIMITS__PER_KEY_CONCURRENCY=4``). The object is
built once by the CLI (or a test) and passed into ``create_app``; nothing reads it globally.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LimitSettings(BaseModel):
    per_key_concurrency: int = Field(4, ge=1)
    """Simultaneous generations one API key may run; more get 429 too_many_concurrent_requests."""
    max_queue: int = Field(32, ge=1)
    """Generations waiting for the engine across all keys; more get 429 system_busy."""
    character_limit: int = Field(10_000_000, ge=0)
    """Characters per billing period reported by /v1/user/subscription (0 = unlimited)."""
    voice_sample_bytes: int = Field(50 << 20, ge=1)
    """Largest voice-cloning sample file accepted (each file of /v1/voices/add and /edit)."""


class EngineSettings(BaseModel):
    threads: int = Field(0, ge=0)
    """onnxruntime intra-op threads per engine call (0 = number of cores: the lowest latency for
    one stream; 1 gives ~15 % more throughput with several streams at once)."""
    ttl_seconds: int = Field(-1, ge=-1)
    """Idle seconds before an engine is unloaded (-1 never, 0 right after use)."""
    workers: int = Field(2, ge=1)
    """Threads that run engine inference off the event loop."""
    kokoro_voices_dir: Path | None = None
    """Folder of Kokoro ``*.bin`` voice packs; default ``<data_dir>/models/kokoro-voices``."""
    piper_voices_dir: Path | None = None
    """Extra Piper voices (``*.onnx`` + ``*.onnx.json``); default ``<data_dir>/models/piper``."""
    clone_generations: int = Field(5, ge=0)
    """Generations of the cloning search (4 renders each, ~1.5 s per render on 2 cores); fewer is
    faster and less close to the speaker."""
    voicelab_dir: Path | None = None
    """Cache of the stock voices' measured profiles used by cloning and design; default
    ``<data_dir>/models/voicelab`` (built by ``polyvox setup``, else on first use)."""
    f5_dir: Path | None = None
    """F5-TTS checkpoint, vocab and Vocos vocoder (layout in docs/voice-cloning.md); set -> the ``f5``
    engine and the ``f5_tts`` model are served, and an incomplete folder fails at startup."""
    parler_dir: Path | None = None
    """Parler-TTS checkpoint folder (e.g. parler-tts-mini-v1; layout in docs/voice-design.md); set -> the
    ``parler`` engine and the ``parler_tts`` model are served, and an incomplete folder fails at startup."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLYVOX_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("data")
    """Everything the server writes: database, audio blobs, assembled models."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/polyvox.db``. PostgreSQL works by URL."""
    host: str = "127.0.0.1"
    port: int = 8000
    admin_key: SecretStr | None = None
    """Admin API key installed at start (for automation); otherwise one is made on first start."""
    require_auth: bool = True
    """When false, requests without ``xi-api-key`` act as the admin (single-user local use)."""
    ssl_certfile: Path | None = None
    """With ``ssl_keyfile``: serve https:// and wss:// (SDK 1.x ``convert_realtime`` dials wss)."""
    ssl_keyfile: Path | None = None
    jobs_workers: int = Field(1, ge=1)
    """Threads that run background jobs (dubbing, studio conversion, long transcriptions)."""
    limits: LimitSettings = LimitSettings()
    engines: EngineSettings = EngineSettings()

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'polyvox.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"
