"""Wire schemas (pydantic v2) for request bodies; responses are built as plain dicts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class VoiceSettingsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    stability: float | None = Field(None, ge=0.0, le=1.0)
    similarity_boost: float | None = Field(None, ge=0.0, le=1.0)
    style: float | None = Field(None, ge=0.0, le=1.0)
    use_speaker_boost: bool | None = None
    speed: float | None = Field(None, ge=0.7, le=1.2)


class DictionaryLocator(BaseModel):
    pronunciation_dictionary_id: str
    version_id: str | None = None


class TTSBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    model_id: str | None = None
    language_code: str | None = None
    voice_settings: VoiceSettingsIn | None = None
    pronunciation_dictionary_locators: list[DictionaryLocator] | None = Field(None, max_length=3)
    seed: int | None = Field(None, ge=0, le=4294967295)
    previous_text: str | None = None
    next_text: str | None = None
    previous_request_ids: list[str] | None = Field(None, max_length=3)
    next_request_ids: list[str] | None = Field(None, max_length=3)
    use_pvc_as_ivc: bool | None = None
    apply_text_normalization: Literal["auto", "on", "off"] | None = None


class HistoryDownloadBody(BaseModel):
    history_item_ids: list[str]
    output_format: str | None = None


class VoiceSettingsEdit(BaseModel):
    model_config = ConfigDict(extra="ignore")

    stability: float | None = Field(None, ge=0.0, le=1.0)
    similarity_boost: float | None = Field(None, ge=0.0, le=1.0)
    style: float | None = Field(None, ge=0.0, le=1.0)
    use_speaker_boost: bool | None = None
    speed: float | None = Field(None, ge=0.7, le=1.2)


__all__ = ["DictionaryLocator", "HistoryDownloadBody", "TTSBody", "VoiceSettingsEdit", "VoiceSettingsIn"]
