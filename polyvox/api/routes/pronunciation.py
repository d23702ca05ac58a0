"""``/v1/pronunciation-dictionaries``: create from a PLS/TXT file or from rules, change rules
(each change is a new version), download a version as PLS, list, get, rename/archive.

List and get answer with and without the trailing slash: SDK 1.x sends
``/v1/pronunciation-dictionaries/`` and ``/{id}/``, SDK 2.x sends neither.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.streamed_upload import missing, read_form
from polyvox.services import media_input
from polyvox.services.pronunciation import MAX_FILE_BYTES, PronunciationService

router = APIRouter(tags=["pronunciation-dictionaries"])
_BASE = "/v1/pronunciation-dictionaries"


class RulesBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rules: list[dict[str, Any]]


class FromRulesBody(RulesBody):
    name: str
    description: str | None = None
    workspace_access: Literal["admin", "editor", "viewer"] | None = None


class RemoveRulesBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rule_strings: list[str]


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    archived: bool | None = None
    name: str | None = None


def _svc(services) -> PronunciationService:
    return services.component(PronunciationService)


@router.post(f"{_BASE}/add-from-file")
async def add_from_file(request: Request, services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    """Multipart: ``name`` (required), ``file`` (a .pls lexicon, or the TXT format), ``description``,
    ``workspace_access``. An invalid file is refused (400, with the parse problem) and nothing is stored."""
    tmp = media_input.temp_dir(services.settings.data_dir)
    form = await read_form(request, max_file_bytes=MAX_FILE_BYTES, tmp_dir=tmp, file_fields=("file",))
    try:
        name = form.get("name")
        if not name or name == "null":
            raise missing("name")
        upload = form.files.get("file")
        data = upload.path.read_bytes() if upload is not None else b""
        desc = form.get("description")
        access = form.get("workspace_access")
        svc = _svc(services)
        if upload is None:
            out = svc.create_from_rules(key_id=principal.key_id, name=name, rules=[],
                                        description=None if desc in (None, "null") else desc,
                                        workspace_access=None if access in (None, "null") else access)
        else:
            out = svc.create_from_file(key_id=principal.key_id, name=name, data=data, filename=upload.filename,
                                       description=None if desc in (None, "null") else desc,
                                       workspace_access=None if access in (None, "null") else access)
    finally:
        form.cleanup()
    return JSONResponse(out)


@router.post(f"{_BASE}/add-from-rules")
def add_from_rules(body: FromRulesBody, services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(_svc(services).create_from_rules(
        key_id=principal.key_id, name=body.name, rules=body.rules, description=body.description,
        workspace_access=body.workspace_access))


@router.post(f"{_BASE}/{{dictionary_id}}/add-rules")
def add_rules(dictionary_id: str, body: RulesBody, services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(_svc(services).add_rules(dictionary_id, body.rules, principal.key_id))


@router.post(f"{_BASE}/{{dictionary_id}}/remove-rules")
def remove_rules(dictionary_id: str, body: RemoveRulesBody, services: ServicesDep,
                 principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(_svc(services).remove_rules(dictionary_id, body.rule_strings, principal.key_id))


@router.post(f"{_BASE}/{{dictionary_id}}/set-rules")
def set_rules(dictionary_id: str, body: RulesBody, services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(_svc(services).set_rules(dictionary_id, body.rules, principal.key_id))


@router.get(f"{_BASE}/{{dictionary_id}}/{{version_id}}/download")
def download(dictionary_id: str, version_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    data = _svc(services).download(dictionary_id, version_id)
    return Response(data, media_type="text/plain; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{dictionary_id}_{version_id}.pls"'})


@router.get(_BASE)
@router.get(f"{_BASE}/")
def list_dictionaries(services: ServicesDep, principal: PrincipalDep, cursor: str | None = None,
                      page_size: int = Query(30, ge=1, le=100),
                      sort: Literal["creation_time_unix", "created_at_unix", "name"] = "creation_time_unix",
                      sort_direction: str = "DESCENDING", include_archived: bool = False) -> JSONResponse:
    return JSONResponse(_svc(services).list(cursor=cursor, page_size=page_size, sort=sort,
                                            sort_direction=sort_direction, include_archived=include_archived))


@router.get(f"{_BASE}/{{dictionary_id}}")
@router.get(f"{_BASE}/{{dictionary_id}}/")
def get_dictionary(dictionary_id: str, services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(_svc(services).get(dictionary_id))


@router.patch(f"{_BASE}/{{dictionary_id}}")
def update_dictionary(dictionary_id: str, body: UpdateBody, services: ServicesDep,
                      principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(_svc(services).update(dictionary_id, name=body.name, archived=body.archived))


__all__ = ["router"]
