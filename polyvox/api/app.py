"""The app factory: services are built in the lifespan from the settings passed in."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from polyvox import __version__
from polyvox.api import errors, routes
from polyvox.services.container import Services
from polyvox.settings import Settings

logger = logging.getLogger(__name__)


def _import_anyio() -> None:
    """Import every part of anyio now. anyio >= 4.16 imports them on first use, which can then
    happen in a request's thread while another thread imports too; under an import hook that
    parses source (pytest's assertion rewriting) CPython 3.11 can fail that with
    "SystemError: AST constructor recursion depth mismatch" (seen sending a FileResponse)."""
    import anyio

    for name in dir(anyio):
        getattr(anyio, name, None)


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the ASGI app. ``services`` lets tests share one set of loaded engines."""
    _import_anyio()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        svc = services or Services.build(settings)
        secret = svc.bootstrap_admin()
        if secret:
            # printed once; only its hash is stored
            print(f"\n  polyvox: created the first admin API key (shown only now):\n\n      {secret}\n", flush=True)
        app.state.services = svc
        if own:
            svc.jobs.start()
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

    # every module in api/routes contributes its `router`: a capability is added by adding a file
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        if hasattr(module, "router"):
            app.include_router(module.router)
    _mount_web(app)
    return app


def _mount_web(app: FastAPI) -> None:
    """Serve the built browser app (``polyvox/web/dist``) at ``/`` when it has been built."""
    dist = Path(__file__).resolve().parents[1] / "web" / "dist"
    if (dist / "index.html").is_file():
        from polyvox.web.serve import mount

        mount(app, dist)


__all__ = ["create_app"]
