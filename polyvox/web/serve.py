"""Serve the built browser app from ``polyvox/web/dist`` next to the API.

``mount`` is called by the app factory *after* every API route is registered. It adds one route
that answers only ``GET``/``HEAD`` for paths outside the API: a file of the build when one exists
(hashed assets are cached for good, a pre-compressed ``.gz`` twin is sent when the client takes
gzip), and ``index.html`` for any other path so the single-page app can route it (``/voices``,
``/history``, ...). API prefixes are never answered here, and because the route matches no other
method it never turns an API 404 into a 405.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

#: paths that belong to the API (or FastAPI's docs) and are never answered with the app
RESERVED_PREFIXES: tuple[str, ...] = ("/v1/", "/v2/", "/v3/", "/docs", "/redoc", "/openapi.json", "/health")
RESERVED_EXACT: frozenset[str] = frozenset({"/v1", "/v2", "/v3"})

_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("font/woff2", ".woff2")


def is_reserved(path: str) -> bool:
    return path in RESERVED_EXACT or path.startswith(RESERVED_PREFIXES)


class WebAppRoute(BaseRoute):
    """Static files of the build plus the SPA fallback, for GET/HEAD outside the API only."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist.resolve()
        self.index = self.dist / "index.html"

    # routing -------------------------------------------------------------------------------
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        if is_reserved(scope["path"]):
            return Match.NONE, {}
        return Match.FULL, {}

    def url_path_for(self, name: str, /, **path_params: object):
        raise NoMatchFound(name, path_params)

    # serving -------------------------------------------------------------------------------
    def _file(self, path: str) -> Path | None:
        rel = path.lstrip("/")
        if not rel:
            return None
        candidate = (self.dist / rel).resolve()
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate

    def _send_file(self, request: Request, file: Path, cache: str) -> Response:
        headers = {"cache-control": cache}
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        gz = file.with_name(file.name + ".gz")
        if "gzip" in request.headers.get("accept-encoding", "") and gz.is_file():
            headers.update({"content-encoding": "gzip", "vary": "accept-encoding"})
            return FileResponse(gz, media_type=media_type, headers=headers)
        return FileResponse(file, media_type=media_type, headers=headers)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        path = scope["path"]
        file = self._file(path)
        if file is not None and file.suffix != ".gz":
            cache = _IMMUTABLE if path.startswith("/assets/") else _REVALIDATE
            response = self._send_file(request, file, cache)
        elif path.startswith("/assets/") or Path(path).suffix in {".js", ".css", ".map", ".png", ".svg", ".ico",
                                                                  ".woff", ".woff2", ".json", ".txt"}:
            # a missing asset is a plain 404, not the app (a stale tab asking for an old bundle)
            raise HTTPException(404, f"{path} was not found.")
        else:
            response = self._send_file(request, self.index, _REVALIDATE)
        await response(scope, receive, send)


def mount(app: FastAPI, dist: Path) -> None:
    """Add the web app to ``app``; call after all API routes are registered."""
    app.router.routes.append(WebAppRoute(Path(dist)))


__all__ = ["RESERVED_PREFIXES", "WebAppRoute", "is_reserved", "mount"]
