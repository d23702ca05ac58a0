"""Shared input handling for the audio-in capabilities (speech to text, voice isolation).

* one temp folder per data folder (``<data_dir>/tmp``) where uploads and fetched URLs land,
  swept of leftovers from a crash at start;
* fetching ``cloud_storage_url``-style inputs: http(s) only, streamed to disk with httpx,
  the size limit enforced while reading;
* one mapping from decoder failures to API errors, so every capability answers the same
  way to an empty, non-audio, corrupt or over-long file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from polyvox.audio.decode import AudioDecodeError
from polyvox.audio.stream_decode import AudioTooLong, EmptyAudio
from polyvox.errors import InvalidRequest, PolyvoxError

logger = logging.getLogger(__name__)

STALE_SECONDS = 6 * 3600


class FileTooLarge(InvalidRequest):
    status = 413
    code = "file_too_large"


def temp_dir(data_dir: Path) -> Path:
    d = Path(data_dir) / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return d


def sweep(folder: Path, older_than: float = STALE_SECONDS) -> int:
    """Delete upload/fetch/output temp files left by a crash; returns how many."""
    n = 0
    cutoff = time.time() - older_than
    for p in folder.glob("*"):
        if p.is_file() and p.name.startswith(("upload-", "fetch-", "isolated-")) and p.stat().st_mtime < cutoff:
            p.unlink(missing_ok=True)
            n += 1
    return n


def decode_error(exc: AudioDecodeError) -> PolyvoxError:
    """The API error for a file the decoder refused."""
    if isinstance(exc, EmptyAudio):
        return InvalidRequest(str(exc), code="empty_file")
    if isinstance(exc, AudioTooLong):
        return InvalidRequest(str(exc), code="audio_too_long")
    return InvalidRequest(str(exc) or "The file could not be decoded as audio.", code="invalid_audio")


async def fetch_url(url: str, folder: Path, max_bytes: int, timeout: float = 60.0) -> Path:
    """Download ``url`` (http or https) into a temp file in ``folder``; the caller deletes it."""
    import httpx

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidRequest("cloud_storage_url must be an http(s) URL.", code="invalid_url")
    fd, name = tempfile.mkstemp(prefix="fetch-", dir=folder)
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client, \
                    client.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise InvalidRequest(f"Fetching cloud_storage_url failed with HTTP {resp.status_code}.",
                                         code="url_fetch_failed")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FileTooLarge(f"The file at cloud_storage_url is larger than the limit of "
                                       f"{max_bytes / 1e6:.0f} MB.")
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(f"The file at cloud_storage_url is larger than the limit of "
                                           f"{max_bytes / 1e6:.0f} MB.")
                    out.write(chunk)
    except httpx.HTTPError as e:
        path.unlink(missing_ok=True)
        raise InvalidRequest(f"Could not fetch cloud_storage_url: {type(e).__name__}.", code="url_fetch_failed") from e
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    logger.info("fetched %d bytes from %s", size, parsed.netloc)
    return path


__all__ = ["FileTooLarge", "decode_error", "fetch_url", "sweep", "temp_dir"]
