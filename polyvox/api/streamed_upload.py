"""Multipart uploads streamed straight to a temp file on disk, with the size limit enforced while reading.

FastAPI's ``UploadFile`` parses the whole body before the handler runs, so a limit could only
be checked after a 3 GB upload had already landed. Here the handler reads the request stream
itself: file parts go to ``NamedTemporaryFile``s in the service's temp folder as they arrive,
the byte count is checked on every chunk (and against ``Content-Length`` before reading at
all), and every temp file is removed on any error. The caller owns the files of a
successful parse and must call :meth:`MultipartForm.cleanup` (routes do it in ``finally`` or
a background task). ``application/x-www-form-urlencoded`` bodies (SDKs send them when there is
no file, e.g. a ``cloud_storage_url`` request) are accepted too.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from polyvox.errors import InvalidRequest
from polyvox.services.media_input import FileTooLarge

logger = logging.getLogger(__name__)

_FIELD_LIMIT = 1 << 20
"""Bytes allowed in one non-file field."""
_DRAIN_LIMIT = 64 << 20
"""After refusing a body, read (and drop) up to this much of it, so that the client, still
sending, gets to read the error instead of a reset connection; bigger bodies are cut off."""


@dataclass
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    path: Path
    size: int = 0


@dataclass
class MultipartForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    many: dict[str, list[UploadedFile]] = field(default_factory=dict)
    """Every file of a repeated field named in ``read_form(multi_fields=...)`` (``files`` keeps the last)."""

    def get(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def get_list(self, name: str) -> list[str]:
        return self.fields.get(name, []) + self.fields.get(f"{name}[]", [])

    def cleanup(self) -> None:
        for f in [*self.files.values(), *(u for ups in self.many.values() for u in ups)]:
            f.path.unlink(missing_ok=True)
        self.files.clear()
        self.many.clear()


def limit_message(limit: int) -> str:
    return f"The uploaded file is larger than the limit of {limit / 1e6:.0f} MB."


async def read_form(request: Request, *, max_file_bytes: int, tmp_dir: Path,
                    file_fields: tuple[str, ...] = ("file", "audio"),
                    multi_fields: tuple[str, ...] = ()) -> MultipartForm:
    """Parse the request body; file parts named in ``file_fields`` (or with a filename) go to disk."""
    ctype = request.headers.get("content-type", "")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_file_bytes + _FIELD_LIMIT:
        await _drain(request)
        raise FileTooLarge(limit_message(max_file_bytes))
    if ctype.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        out = MultipartForm()
        for k, v in form.multi_items():
            out.fields.setdefault(k, []).append(str(v))
        return out
    if not ctype.startswith("multipart/form-data"):
        raise RequestValidationError([{"loc": ("body",), "msg": "Expected multipart/form-data", "type": "value_error"}])
    return await _parse_multipart(request, ctype, max_file_bytes, tmp_dir, file_fields, multi_fields)


async def _parse_multipart(request: Request, ctype: str, max_file_bytes: int, tmp_dir: Path,
                           file_fields: tuple[str, ...], multi_fields: tuple[str, ...] = ()) -> MultipartForm:
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(ctype)
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidRequest("Missing boundary in multipart/form-data.", code="invalid_multipart")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    form = MultipartForm()
    state: dict = {"headers": {}, "name": b"", "value": b"", "field": None, "file": None, "handle": None,
                   "data": bytearray()}
    errors: list[Exception] = []

    def on_part_begin() -> None:
        state.update(headers={}, field=None, file=None, handle=None, data=bytearray())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["name"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["name"].lower()] = state["value"]
        state["name"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        state["field"] = name
        filename = opts.get(b"filename")
        if filename is not None or name in file_fields:
            fd, path = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
            up = UploadedFile(field=name, filename=filename.decode("utf-8", "replace") if filename else None,
                              content_type=(state["headers"].get(b"content-type") or b"").decode() or None,
                              path=Path(path))
            if name in multi_fields:
                form.many.setdefault(name, []).append(up)
            else:
                old = form.files.pop(name, None)
                if old:
                    old.path.unlink(missing_ok=True)
                form.files[name] = up
            state["file"] = up
            state["handle"] = os.fdopen(fd, "wb")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        up = state["file"]
        if up is None:
            if len(state["data"]) + end - start > _FIELD_LIMIT:
                errors.append(InvalidRequest(f"Form field {state['field']!r} is too large.", code="invalid_multipart"))
                return
            state["data"] += data[start:end]
            return
        up.size += end - start
        if up.size > max_file_bytes:
            errors.append(FileTooLarge(limit_message(max_file_bytes)))
            return
        state["handle"].write(data[start:end])

    def on_part_end() -> None:
        if state["handle"] is not None:
            state["handle"].close()
            state["handle"] = None
        elif state["field"] is not None:
            form.fields.setdefault(state["field"], []).append(bytes(state["data"]).decode("utf-8", "replace"))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished})
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if errors:
                raise errors[0]
        parser.finalize()
        if errors:
            raise errors[0]
    except BaseException as exc:
        if state["handle"] is not None:
            state["handle"].close()
        form.cleanup()
        if isinstance(exc, InvalidRequest):
            await _drain(request)
        if isinstance(exc, FormParserError):
            raise InvalidRequest("Invalid multipart/form-data body.", code="invalid_multipart") from exc
        raise
    return form


async def _drain(request: Request) -> None:
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > _DRAIN_LIMIT:
                return
    except Exception:  # client gone, or stream already consumed
        logger.debug("could not drain a refused request body", exc_info=True)


def missing(field_name: str) -> RequestValidationError:
    """The 422 FastAPI itself would give for a missing required form field."""
    return RequestValidationError([{"loc": ("body", field_name), "msg": "Field required", "type": "missing"}])


def invalid(field_name: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field_name), "msg": msg, "type": "value_error"}])


__all__ = ["FileTooLarge", "MultipartForm", "UploadedFile", "invalid", "missing", "read_form"]
