"""One mapping from domain errors to ElevenLabs-shaped error bodies.

Non-validation errors: ``{"detail": {"status": code, "message": text}}``. Validation
errors keep FastAPI's 422 list, as the ElevenLabs API (and its SDKs) expect.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from polyvox.errors import PolyvoxError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str) -> dict:
    return {"detail": {"status": code, "message": message}}


def install(app: FastAPI) -> None:
    @app.exception_handler(PolyvoxError)
    async def _domain(request: Request, exc: PolyvoxError) -> JSONResponse:
        if exc.status >= 500:
            logger.error("request %s failed: %s", request.url.path, exc.message, exc_info=exc)
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", "An internal error occurred; see the server log."),
                            status_code=500)


__all__ = ["error_body", "install"]
