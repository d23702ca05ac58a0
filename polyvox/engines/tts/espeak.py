"""eSpeak NG engine: the many-language fallback, driven through ctypes.

The library and ``espeak-ng-data`` come from the ``espeakng_loader`` wheel (no Debian
package needed). The library is copied to a private temporary folder before it is
loaded, so this engine's process-global eSpeak state is its own (phonemizer does the
same for its copies); every use of it is serialised with a lock.

Voices
    One voice per language file of ``espeak-ng-data/lang`` (141 in 1.52): the voice id is
    the file name in lower case (``en-us``, ``fr``, ``cmn``) and speaks with eSpeak's default
    (male) variant; ``<id>+f3`` is the same language with the female variant ``f3``.
    ``EngineInfo.languages`` is the set of languages named by the files: ISO 639-1 codes
    where one exists (``cmn`` is reported as ``zh``), otherwise the ISO 639-3 code
    (``haw``, ``kok``, ...). A voice serves every language its file lists (``cmn``: zh).

Voice settings (``use_speaker_boost`` is applied by the service layer)
    speed
        Rate in words per minute: ``175 * speed`` (clamped to 80-450).
    stability
        Pitch range (eSpeak's intonation depth, 0-100): ``50 + 100 * (0.5 - stability)``,
        so the default 0.5 keeps eSpeak's 50, 1.0 is monotone and 0 is the widest range.
    style
        Base pitch (0-100): ``50 + 40 * style`` (style 0 keeps eSpeak's default).
    similarity_boost
        No effect.

Determinism: eSpeak keeps wave-generator state (phase, flutter, echo) in globals that
outlive a call, so the private library copy is loaded afresh for every synthesis (about
2 ms), and the C library's ``rand()`` (used for breath noise by some variants) is reseeded
with ``srand(seed)`` (a fixed default when ``seed`` is None) right before it. A request and
seed therefore always give the same samples.

Phoneme input
    ``SynthesisRequest.phoneme_spans``: each span becomes a ``[[...]]`` block of eSpeak's own
    phoneme mnemonics (IPA converted by ``polyvox.text.lexicon.ipa_to_espeak``, English
    phoneme set; other languages are approximated with the same symbols), synthesized with
    the ``espeakPHONEMES`` flag; times are mapped back onto the request's characters.

Alignment
    eSpeak reports a WORD event (character position, audio position in ms) at the start
    of each word; the word ends where the energy envelope falls silent before the next
    word's start. Word spans are spread over the characters, leading and trailing silence
    is trimmed to 30 ms pads and the times shifted accordingly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .alignment import active_mask, align_chars, silence, text_words, trim_silence
from .base import EngineInfo, EngineVoice, Synthesis, SynthesisRequest, VoiceSettings

logger = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 0x02
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES = 0x100
"""espeakPHONEMES: ``[[...]]`` in the text is phoneme input (eSpeak's own mnemonics)."""
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_PAD = 0.03
FEMALE_VARIANT = "f3"
_ISO3_TO_1 = {"cmn": "zh"}
DEFAULT_SEED = 1234


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def iso_language(tag: str) -> str:
    primary = tag.replace("_", "-").split("-")[0].lower()
    return _ISO3_TO_1.get(primary, primary)


@dataclass(frozen=True)
class _LangFile:
    voice: str
    name: str
    languages: tuple[str, ...]  # ISO codes, most specific file order
    tags: tuple[str, ...]  # eSpeak language tags as written


def scan_voices(data_path: Path) -> list[_LangFile]:
    """Parse ``espeak-ng-data/lang/**`` (name and language lines)."""
    out: list[_LangFile] = []
    for path in sorted((data_path / "lang").rglob("*")):
        if not path.is_file():
            continue
        name = path.name
        tags: list[str] = []
        try:
            lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "name":
                name = " ".join(parts[1:])
            elif len(parts) >= 2 and parts[0] == "language":
                tags.append(parts[1])
        if not tags:
            continue
        langs: list[str] = []
        for t in tags:
            iso = iso_language(t)
            if iso not in langs:
                langs.append(iso)
        out.append(_LangFile(voice=path.name.lower(), name=name, languages=tuple(langs), tags=tuple(tags)))
    return out


def settings_to_params(settings: VoiceSettings) -> dict[int, int]:
    speed = min(max(settings.speed, 0.25), 4.0)
    stab = min(max(settings.stability, 0.0), 1.0)
    style = min(max(settings.style, 0.0), 1.0)
    return {
        _RATE: int(round(min(450, max(80, 175 * speed)))),
        _RANGE: int(round(min(100, max(0, 50 + 100 * (0.5 - stab))))),
        _PITCH: int(round(min(100, max(0, 50 + 40 * style)))),
        _VOLUME: 100,
    }


def _data_path() -> Path:
    try:
        import espeakng_loader
    except ImportError as e:
        raise RuntimeError("eSpeak engine needs the 'espeakng-loader' package") from e
    return Path(espeakng_loader.get_data_path())


class EspeakEngine:
    """eSpeak NG through ctypes (see module docstring)."""

    def __init__(self, models_dir: Path, threads: int = 0):
        self.models_dir = Path(models_dir)
        self.threads = threads
        self._lock = threading.Lock()
        self._loaded = False
        self._lib_path: Path | None = None
        self._data = b""
        self._cb = None
        self._tmpdir: str | None = None
        self._buf: list[np.ndarray] = []
        self._events: list[tuple[int, int, int]] = []
        self.sample_rate = 22050
        try:
            self._files = scan_voices(_data_path())
        except RuntimeError:
            self._files = []
        self._by_voice = {f.voice: f for f in self._files}
        langs = frozenset(lang for f in self._files for lang in f.languages)
        self.info = EngineInfo(
            name="espeak",
            languages=langs,
            sample_rate=self.sample_rate,
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
                import espeakng_loader
            except ImportError as e:
                raise RuntimeError("eSpeak engine needs the 'espeakng-loader' package") from e
            src = Path(espeakng_loader.get_library_path()).resolve()
            self._tmpdir = tempfile.mkdtemp(prefix="polyvox-espeak-")
            self._lib_path = Path(self._tmpdir) / src.name
            shutil.copy(src, self._lib_path)
            weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
            self._data = str(Path(espeakng_loader.get_data_path())).encode()
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.srand.argtypes = [ctypes.c_uint]
            libc.srand.restype = None
            self._srand = libc.srand
            self._cb = _SynthCallback(self._on_audio)
            lib = self._open()
            self._close(lib)
            self._loaded = True

    def _open(self):
        """Load the private library copy afresh and initialise it.

        eSpeak keeps wave-generator state (phase, flutter, echo) in globals that
        ``espeak_Initialize`` does not reset, so each synthesis gets a freshly loaded
        library (about 2 ms) to make its output independent of earlier calls.
        """
        lib = ctypes.CDLL(str(self._lib_path))
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_Terminate.restype = ctypes.c_int
        sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data, 0)
        if sr <= 0:
            self._close(lib, terminate=False)
            raise RuntimeError("espeak_Initialize failed")
        self.sample_rate = int(sr)
        lib.espeak_SetSynthCallback(self._cb)
        return lib

    @staticmethod
    def _close(lib, terminate: bool = True) -> None:
        import _ctypes

        if terminate:
            lib.espeak_Terminate()
        _ctypes.dlclose(lib._handle)

    def _on_audio(self, wav, numsamples, events) -> int:
        if wav and numsamples > 0:
            self._buf.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        if events:
            i = 0
            while True:
                ev = events[i]
                if ev.type == _EVENT_LIST_TERMINATED:
                    break
                if ev.type == _EVENT_WORD:
                    self._events.append((ev.text_position, ev.length, ev.audio_position))
                i += 1
        return 0

    def voices(self) -> list[EngineVoice]:
        out = []
        for f in self._files:
            out.append(EngineVoice(voice=f.voice, name=f.name, language=f.languages[0], gender="male"))
            out.append(
                EngineVoice(
                    voice=f"{f.voice}+{FEMALE_VARIANT}", name=f"{f.name}, female", language=f.languages[0],
                    gender="female",
                )
            )
        return out

    def synthesize(self, request: SynthesisRequest) -> Synthesis:
        self.load()
        if request.language not in self.info.languages:
            raise ValueError(f"eSpeak does not speak language {request.language!r}")
        base, _, variant = request.voice.partition("+")
        f = self._by_voice.get(base.lower())
        if f is None or (variant and not variant.replace("_", "").isalnum()):
            raise ValueError(f"unknown eSpeak voice {request.voice!r}")
        if request.language not in f.languages:
            raise ValueError(
                f"eSpeak voice {request.voice!r} speaks {f.languages[0]!r}, not {request.language!r}"
            )
        text = request.text
        name = f.voice + (f"+{variant}" if variant else "")
        params = settings_to_params(request.settings)
        flags = _CHARS_UTF8
        mapped = None
        if request.phoneme_spans:  # spans become [[mnemonics]] blocks, read with espeakPHONEMES
            mapped = _with_phoneme_blocks(text, request.phoneme_spans)
            text, flags = mapped.text, _CHARS_UTF8 | _PHONEMES
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            lib = self._open()
            try:
                if lib.espeak_SetVoiceByName(name.encode()) != 0:
                    raise ValueError(f"unknown eSpeak voice {request.voice!r}")
                for p, v in params.items():
                    lib.espeak_SetParameter(p, v, 0)
                self._buf, self._events = [], []
                seed = DEFAULT_SEED if request.seed is None else int(request.seed)
                self._srand(seed & 0xFFFFFFFF)
                rc = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, flags, None, None)
                lib.espeak_Synchronize()
                buf, events = self._buf, self._events
                self._buf, self._events = [], []
            finally:
                self._close(lib)
        if rc != 0:
            raise RuntimeError(f"espeak_Synth failed ({rc})")
        sr = self.sample_rate
        pcm = np.concatenate(buf) if buf else np.zeros(0, dtype=np.int16)
        if not np.any(pcm):
            audio, starts, ends = silence(text, sr)
            return Synthesis(audio=audio, sample_rate=sr, char_starts=starts, char_ends=ends)
        audio = (pcm.astype(np.float32) / 32768.0).astype(np.float32)
        audio, head = trim_silence(audio, sr, pad=_PAD)
        duration = len(audio) / sr
        times = self._align(text, events, audio, head, duration)
        if mapped is not None:  # times of the [[...]] text back onto the request's characters
            from polyvox.text.charmap import fold_times

            times["char_starts"], times["char_ends"] = fold_times(mapped, times["char_starts"], times["char_ends"])
        return Synthesis(audio=audio, sample_rate=sr, **times)

    def _align(self, text: str, events, audio: np.ndarray, head: int, duration: float) -> dict:
        sr = self.sample_rate
        words = text_words(text)
        # eSpeak's text positions are 1-based character offsets into the text
        starts_by_char = []
        for pos, length, ms in events:
            t = ms / 1000.0 - head / sr
            starts_by_char.append((pos - 1, length, min(max(t, 0.0), duration)))
        starts_by_char.sort()
        n = len(words)
        if n == 0:
            starts, ends = align_chars(text, [], np.zeros(0), np.zeros(0), duration)
            return {"char_starts": starts, "char_ends": ends}
        ws = np.zeros(n)
        we = np.zeros(n)
        hop = 0.01
        act = active_mask(audio, sr, hop)
        # the start of each word that has a WORD event of its own
        own: list[float | None] = [None] * n
        ev_i = 0
        for j, (a, b) in enumerate(words):
            while ev_i < len(starts_by_char) and starts_by_char[ev_i][0] < b:
                pos, length, t = starts_by_char[ev_i]
                if pos + max(length, 1) > a and own[j] is None:
                    own[j] = t
                ev_i += 1
        # eSpeak joins some words ("in the"): words without an event share the span of the
        # word before them (up to the next event), split by character count
        anchors = [j for j in range(n) if own[j] is not None]
        if not anchors:
            anchors = [0]
            own[0] = 0.0
        groups = []
        if anchors[0] > 0:
            groups.append((0, anchors[0], 0.0))
        for k, j in enumerate(anchors):
            stop = anchors[k + 1] if k + 1 < len(anchors) else n
            groups.append((j, stop, own[j]))
        prev = 0.0
        for gi, (j0, j1, t0) in enumerate(groups):
            t0 = max(prev, t0)
            t1 = groups[gi + 1][2] if gi + 1 < len(groups) else duration
            t1 = max(t0, t1)
            lens = np.array([words[j][1] - words[j][0] + 1 for j in range(j0, j1)], dtype=np.float64)
            edges = t0 + (t1 - t0) * np.concatenate([[0.0], np.cumsum(lens)]) / lens.sum()
            for k, j in enumerate(range(j0, j1)):
                ws[j] = edges[k]
            prev = t0
        for j in range(len(words)):
            nxt = ws[j + 1] if j + 1 < len(words) else duration
            end = nxt
            # pull the end back over the silence before the next word
            if act.size:
                k1 = min(int(nxt / hop), len(act))
                k0 = int(ws[j] / hop)
                k = k1
                while k > k0 + 1 and not act[k - 1]:
                    k -= 1
                end = min(nxt, max(ws[j], k * hop))
            we[j] = max(ws[j], end)
        starts, ends = align_chars(text, words, ws, we, duration)
        return {"char_starts": starts, "char_ends": ends}


def _with_phoneme_blocks(text: str, spans):
    """``text`` with each (start, end, IPA) span as a ``[[...]]`` block of eSpeak mnemonics, mapped back."""
    from polyvox.text.charmap import MapBuilder
    from polyvox.text.lexicon import ipa_to_espeak

    b = MapBuilder(text)
    pos = 0
    for a, e, ipa in sorted(spans):
        b.copy(pos, a)
        b.emit(f"[[{ipa_to_espeak(ipa)}]]", a, e)
        pos = e
    b.copy(pos, len(text))
    return b.build()


__all__ = ["EspeakEngine", "scan_voices", "settings_to_params"]
