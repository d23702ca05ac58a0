"""The app factory: services are built in the lifespan from the settings passed in."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from polyvox import __version__
from polyvox.api import errors
from polyvox.api.routes import account, history, tts, voices, ws_tts
from polyvox.services.container import Services
from polyvox.settings import Settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the ASGI app. ``services`` lets tests share one set of loaded engines."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        svc = services or Services.build(settings)
        secret = svc.bootstrap_admin()
        if secret:
            # printed once; only its hash is stored
            print(f"\n  polyvox: created the first admin API key (shown only now):\n\n      {secret}\n", flush=True)
        app.state.services = svc
        try:
            yield
        finally:
            if own:
                svc.close()

    app = FastAPI(title="polyvox", version=__version__, lifespan=lifespan,
                  description="Self-hosted voice AI that speaks the ElevenLabs API.")
    errors.install(app)

    @app.get("/health", tags=["meta"])
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    for module in (tts, ws_tts, voices, account, history):
        app.include_router(module.router)
    return app


__all__ = ["create_app"]
