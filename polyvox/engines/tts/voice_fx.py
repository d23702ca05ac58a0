"""Post-processing that gives a made voice its register: pitch and formant shift.

Cloned and designed voices are Kokoro styles plus two numbers applied to every rendered
segment, after synthesis and before encoding:

* ``pitch_semitones`` moves F0 by TD-PSOLA (``polyvox.engines.vc.prosody.psola``), which
  keeps the formants, i.e. the vocal tract, where they were;
* ``formant_ratio`` moves the formants (a bigger or smaller vocal tract) without moving F0:
  the audio is resampled by the ratio (formants, F0 and tempo all scale), then PSOLA puts
  tempo and F0 back.

The output has exactly the input's length, so the engine's character times stay valid.
Shifts are clamped to +-6 semitones and 0.8-1.25 (beyond that PSOLA artefacts are audible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.audio import dsp
from polyvox.engines.vc import prosody

MAX_SEMITONES = 6.0
FORMANT_RANGE = (0.8, 1.25)


@dataclass(frozen=True)
class VoiceFX:
    pitch_semitones: float = 0.0
    formant_ratio: float = 1.0

    @property
    def neutral(self) -> bool:
        return abs(self.pitch_semitones) < 0.05 and abs(self.formant_ratio - 1.0) < 0.005

    def clamped(self) -> VoiceFX:
        return VoiceFX(float(np.clip(self.pitch_semitones, -MAX_SEMITONES, MAX_SEMITONES)),
                       float(np.clip(self.formant_ratio, *FORMANT_RANGE)))


def apply(audio: np.ndarray, rate: int, fx: VoiceFX) -> np.ndarray:
    """``audio`` with ``fx`` applied; same length and rate, float32."""
    fx = fx.clamped()
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if fx.neutral or len(x) < rate // 50:
        return x
    n = len(x)
    pitch = 2.0 ** (fx.pitch_semitones / 12.0)
    r = fx.formant_ratio
    if abs(r - 1.0) >= 0.005:
        # play the waveform r times faster: formants and F0 rise by r, length shrinks by r
        src_rate = round(rate * r)
        x = dsp.resample(x, src_rate, rate)
        pitch /= r  # undo the F0 rise, keep the formant rise
    track = prosody.yin_f0(x, rate)
    if not track.voiced.any():
        return np.asarray(audio, dtype=np.float32)
    scale = len(x) / n
    out = prosody.psola(x, rate, track, n, lambda t: t * scale, lambda t: np.full(np.shape(t), pitch))
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0.99:
        out = out * (0.99 / peak)
    return out.astype(np.float32, copy=False)


__all__ = ["FORMANT_RANGE", "MAX_SEMITONES", "VoiceFX", "apply"]
