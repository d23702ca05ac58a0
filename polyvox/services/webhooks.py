"""Outgoing webhooks: a JSON event POSTed to an operator-configured URL, signed as ElevenLabs signs.

ElevenLabs sends ``ElevenLabs-Signature: t=<unix>,v0=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``;
the official SDKs verify it with ``client.webhooks.construct_event(body, header, secret)``, so
a receiver written against ElevenLabs accepts polyvox's deliveries unchanged.

The targets come from the settings (``POLYVOX_STT__WEBHOOKS``, a JSON list), not from API
calls: the server only ever POSTs to URLs its operator named.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "ElevenLabs-Signature"


class WebhookTarget(BaseModel):
    webhook_id: str
    """What requests name in ``webhook_id``."""
    url: str
    secret: str | None = None
    """HMAC secret; without one deliveries are unsigned."""
    name: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers (e.g. a bearer token the receiver checks)."""


def signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v0={digest}"


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    ok: bool
    detail: str
    """``HTTP 200``, or why it failed."""


def deliver(target: WebhookTarget, event: dict[str, Any], *, timeout: float = 10.0, attempts: int = 3,
            backoff: float = 1.0) -> Delivery:
    """POST ``event``; a 2xx ends it, anything else is retried ``attempts`` times with growing pauses."""
    import httpx

    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    detail = "not attempted"
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        headers = {"content-type": "application/json", **target.headers}
        if target.secret:  # signed per attempt: the timestamp must be fresh
            headers[SIGNATURE_HEADER] = signature(body, target.secret)
        try:
            resp = httpx.post(target.url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as e:
            detail = f"{type(e).__name__}"
        else:
            detail = f"HTTP {resp.status_code}"
            if 200 <= resp.status_code < 300:
                return Delivery(target.webhook_id, True, detail)
            if 400 <= resp.status_code < 500 and resp.status_code not in (408, 429):
                break  # the receiver refused it; repeating will not help
        logger.warning("webhook %s attempt %d failed: %s", target.webhook_id, attempt + 1, detail)
    return Delivery(target.webhook_id, False, detail)


__all__ = ["SIGNATURE_HEADER", "Delivery", "WebhookTarget", "deliver", "signature"]
