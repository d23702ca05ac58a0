"""The text-to-speech WebSockets: ``/stream-input`` and ``/multi-stream-input``.

Both take the ElevenLabs query parameters (``model_id``, ``output_format``,
``inactivity_timeout``, ``sync_alignment``, ``auto_mode``, ...); the protocol itself is
run by :class:`polyvox.api.ws_session.TTSSession`. Over TLS (``ssl_certfile`` and
``ssl_keyfile`` in the settings) the same routes answer ``wss://``, which is what the
SDK's ``convert_realtime`` dials.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, WebSocket

from polyvox.api.ws_session import SessionError, TTSSession, parse_options

router = APIRouter(tags=["text-to-speech"])


async def _serve(websocket: WebSocket, voice_id: str, *, multi: bool) -> None:
    try:
        opts = parse_options(voice_id, websocket.query_params, multi=multi)
    except SessionError as e:
        await websocket.accept()
        await websocket.send_text(json.dumps(e.frame()))
        await websocket.close(e.close_code, reason=e.error)
        return
    await TTSSession(websocket, websocket.app.state.services, opts).run()


@router.websocket("/v1/text-to-speech/{voice_id}/stream-input")
async def stream_input(websocket: WebSocket, voice_id: str) -> None:
    """Text in pieces, audio out as it is made: ``{"text": " "}`` to start, ``{"text": ""}`` to end."""
    await _serve(websocket, voice_id, multi=False)


@router.websocket("/v1/text-to-speech/{voice_id}/multi-stream-input")
async def multi_stream_input(websocket: WebSocket, voice_id: str) -> None:
    """Several independent audio streams (contexts, by ``context_id``) over one connection."""
    await _serve(websocket, voice_id, multi=True)
