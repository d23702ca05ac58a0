"""Domain errors. Services raise these; ``api/errors.py`` maps them to ElevenLabs-shaped bodies.

    PolyvoxError                      status (HTTP), code (wire ``detail.status``)
    ├── NotFound                      404
    │   ├── VoiceNotFound             404 voice_not_found
    │   ├── ModelNotFound             400 model_not_found
    │   └── HistoryItemNotFound       404 history_item_not_found
    ├── InvalidRequest                400 (a field the schema accepts but the server cannot serve)
    │   ├── MaxCharacterLimitExceeded 400 max_character_limit_exceeded
    │   ├── UnsupportedLanguage       400 unsupported_language
    │   └── InvalidOutputFormat       400 invalid_output_format ... (422 at the edge when in the enum)
    ├── Unauthorized                  401 invalid_api_key
    ├── QuotaExceeded                 401 quota_exceeded
    ├── TooManyConcurrentRequests     429 too_many_concurrent_requests
    ├── SystemBusy                    429 system_busy
    └── EngineFailure                 500 engine_error
"""

from __future__ import annotations


class PolyvoxError(Exception):
    """Base: carries the HTTP status and the machine code sent as ``detail.status``."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(PolyvoxError):
    status = 404
    code = "not_found"


class VoiceNotFound(NotFound):
    code = "voice_not_found"


class ModelNotFound(NotFound):
    status = 400
    code = "model_not_found"


class HistoryItemNotFound(NotFound):
    code = "history_item_not_found"


class InvalidRequest(PolyvoxError):
    status = 400
    code = "invalid_request"


class MaxCharacterLimitExceeded(InvalidRequest):
    code = "max_character_limit_exceeded"


class UnsupportedLanguage(InvalidRequest):
    code = "unsupported_language"


class InvalidOutputFormat(InvalidRequest):
    code = "invalid_output_format"


class Unauthorized(PolyvoxError):
    status = 401
    code = "invalid_api_key"


class QuotaExceeded(PolyvoxError):
    status = 401
    code = "quota_exceeded"


class TooManyConcurrentRequests(PolyvoxError):
    status = 429
    code = "too_many_concurrent_requests"


class SystemBusy(PolyvoxError):
    status = 429
    code = "system_busy"


class EngineFailure(PolyvoxError):
    status = 500
    code = "engine_error"


__all__ = [
    "EngineFailure",
    "HistoryItemNotFound",
    "InvalidOutputFormat",
    "InvalidRequest",
    "MaxCharacterLimitExceeded",
    "ModelNotFound",
    "NotFound",
    "PolyvoxError",
    "QuotaExceeded",
    "SystemBusy",
    "TooManyConcurrentRequests",
    "Unauthorized",
    "UnsupportedLanguage",
    "VoiceNotFound",
]
