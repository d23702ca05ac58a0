"""Dependencies as types: a handler's signature lists what it needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from polyvox.services.container import Services
from polyvox.services.keys import Principal


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_principal(request: Request) -> Principal:
    services: Services = request.app.state.services
    key = request.headers.get("xi-api-key")
    if not key:
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else None
    if not key and not services.settings.require_auth:
        return services.local_principal()
    return services.keys.authenticate(key)


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]

__all__ = ["PrincipalDep", "ServicesDep", "get_principal", "get_services"]
