"""Decode Kokoro's frames in windows, so the first words can be heard before the rest is rendered.

Geometry (from the predicted durations, known after the ~30 ms front end)
    Frames are 600 samples (25 ms). Kokoro renders ~0.35 s of silence on the start pad token
    and ~0.3 s on the final punctuation; only ``LEAD`` frames before the first phoneme and
    ``TAIL`` frames after the last one are decoded, and the audio keeps ``PAD`` seconds of
    silence before the first phoneme. That both saves work and makes the length of the audio
    and every token's time known before any decoding.

Windows
    The first cut falls at the first word boundary after ``first_frames`` frames of speech;
    every further window is at most ``growth`` times as long as all the audio before it, so
    that decoding a window takes less time than playing the ones before it. Each window is
    decoded with ``CONTEXT`` frames of the neighbouring ones on both sides (discarded; the first
    window ``FIRST_CONTEXT`` after it), and
    neighbours are crossfaded over ``XFADE`` frames centred on the cut, which falls in the
    middle of the space between two words. Within a window the output is the decoder's own;
    windows differ from a one-shot render only through the decoder's instance norms, which
    see fewer frames (see ``kokoro_graph``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

FIRST_FRAMES = {0: 30, 1: 24, 2: 20, 3: 16, 4: 12}
"""Frames of speech in the first window of a streamed segment, by ``optimize_streaming_latency``:
0.75 s by default, down to 0.3 s. Shorter first windows start sooner and are heard as slightly
different sounds (Whisper base, 40 Harvard sentences, ``FIRST_CONTEXT`` 8: WER 4.4 % in one
window, 5.0 % with a 20-frame first window)."""
FRAME = 600
"""Samples per duration frame at 24 kHz."""
LEAD = 3
TAIL = 4
PAD = 0.03
CONTEXT = 4
FIRST_CONTEXT = 8
"""Frames decoded after the first window and dropped. The decoder's instance norms see only
the window: the first one, the shortest, needs more context (Whisper base, 40 Harvard sentences:
first window 12 frames + 4 of context WER 11.3 %, 12 + 16 6.3 %, 20 + 8 5.0 %)."""
XFADE = 1
_NOT_SPOKEN = frozenset(" .,!?;:—…\"“”()«»¡¿-'")


@dataclass(frozen=True)
class Geometry:
    """Where the speech of one front-end pass lies, in frames, and which frames are decoded."""

    edges: np.ndarray
    """Frame at which each token starts (pads included): token i spans ``edges[i]:edges[i+1]``."""
    start: int
    """First decoded frame."""
    end: int
    """Frame after the last decoded one."""
    head: int
    """Samples dropped at the start of the decoded audio (silence beyond ``PAD``)."""
    cuts: tuple[int, ...]
    """Frames where one window hands over to the next."""

    @property
    def samples(self) -> int:
        return (self.end - self.start) * FRAME - self.head

    def token_samples(self) -> np.ndarray:
        """Start sample (in the output audio) of every token edge; may be negative or past the end."""
        return (self.edges - self.start) * FRAME - self.head


def plan(durations: np.ndarray, phonemes: str, *, first_frames: int | None = 12, growth: float = 2.5,
         sample_rate: int = 24000) -> Geometry:
    """Decoded span and window cuts for ``phonemes`` (tokens are pad + phonemes + pad).

    ``first_frames=None`` renders the span as one window.
    """
    dur = np.maximum(np.rint(np.asarray(durations, dtype=np.float64).ravel()), 0).astype(np.int64)
    edges = np.concatenate([[0], np.cumsum(dur)])
    total = int(edges[-1])
    tokens = [""] + list(phonemes) + [""]
    spoken = [i for i, c in enumerate(tokens) if c and c not in _NOT_SPOKEN]
    if not spoken or len(tokens) != len(dur):
        return Geometry(edges, 0, total, 0, ())
    first, last = spoken[0], spoken[-1]
    start = max(0, int(edges[first]) - LEAD)
    end = min(total, int(edges[last + 1]) + TAIL)
    head = max(0, (int(edges[first]) - start) * FRAME - round(PAD * sample_rate))
    cuts: list[int] = []
    if first_frames is not None:
        # the middle of each space between words, in order
        spaces = [int(edges[k] + edges[k + 1]) // 2 for k, c in enumerate(tokens) if c == " " and dur[k] > 0]
        spaces = [c for c in spaces if c - CONTEXT > start and c + 2 * CONTEXT < end]
        firsts = [c for c in spaces if c >= int(edges[first]) + first_frames]
        if firsts:
            cuts.append(firsts[0])
        while cuts:
            # the next window may be up to `growth` times as long as everything before it
            limit = cuts[-1] + growth * (cuts[-1] - start)
            after = [c for c in spaces if c > cuts[-1]]
            if end <= limit or not after:
                break
            fits = [c for c in after if c <= limit]
            cuts.append(fits[-1] if fits else after[0])
    return Geometry(edges, start, end, head, tuple(cuts))


def windows(geometry: Geometry) -> list[tuple[int, int, int, int]]:
    """``(decode_from, decode_to, keep_from, keep_to)`` frames for each window."""
    bounds = [geometry.start, *geometry.cuts, geometry.end]
    out = []
    for a, b in itertools.pairwise(bounds):
        right = FIRST_CONTEXT if a == geometry.start else CONTEXT
        out.append((max(geometry.start, a - CONTEXT), min(geometry.end, b + right), a, b))
    return out


def _fade(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)


def decode(geometry: Geometry, run: Callable[[int, int], np.ndarray]) -> Iterator[np.ndarray]:
    """Audio of the decoded span, window by window; the pieces join to ``geometry.samples`` samples.

    ``run(a, b)`` decodes frames ``[a, b)`` into ``(b - a) * FRAME`` samples.
    """
    half = XFADE * FRAME // 2
    carry: np.ndarray | None = None  # the end of the previous window, to crossfade
    first = True
    for a, b, keep_a, keep_b in windows(geometry):
        audio = np.asarray(run(a, b), dtype=np.float32).ravel()
        lo = (keep_a - a) * FRAME
        hi = (keep_b - a) * FRAME
        last = keep_b == geometry.end
        if carry is not None:
            fade = _fade(len(carry))
            mixed = carry * (1.0 - fade) + audio[lo - half: lo + half] * fade
            piece = np.concatenate([mixed, audio[lo + half: hi if last else hi - half]])
        else:
            piece = audio[lo: hi if last else hi - half]
        carry = None if last else audio[hi - half: hi + half].copy()
        if first:
            piece, first = piece[geometry.head:], False
        yield piece
