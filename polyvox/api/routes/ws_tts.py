"""Placeholder router replaced by the WebSocket implementation."""

from fastapi import APIRouter

router = APIRouter(tags=["text-to-speech"])
