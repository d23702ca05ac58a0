"""Objective evaluation: WER/CER, SI-SDR, TTS timing vs Whisper, DNSMOS, ASR round trips.

Submodules import their heavy dependencies (jiwer, onnxruntime, faster-whisper) lazily or
on import of that submodule only; import what you need from ``polyvox.eval.metrics``,
``polyvox.eval.dnsmos`` and ``polyvox.eval.asr``.
"""

from polyvox.eval.metrics import alignment_error, cer, normalize_text_for_wer, si_sdr, wer

__all__ = ["alignment_error", "cer", "normalize_text_for_wer", "si_sdr", "wer"]
