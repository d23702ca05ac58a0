"""Tests for polyvox.audio: formats, streaming encoders, decoding, DSP helpers.

Duration allowances: mp3 is written without a Xing/LAME frame (so streams can
be concatenated), therefore decoders cannot trim libmp3lame's priming; the
test removes the documented ``MP3_ENCODER_DELAY`` (1105 samples) from the
front, after which only the tail padding (< one 1152/576-sample frame, about
26 ms) remains.  Ogg Opus signals its 312-sample pre-skip and end trim, so
FFmpeg returns exactly the input length.
"""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest
from scipy import signal as sps

from polyvox.audio import (
    MP3_ENCODER_DELAY,
    OUTPUT_FORMATS,
    AudioDecodeError,
    StreamEncoder,
    decode_audio,
    decode_raw,
    detect_click,
    encode,
    fade_in,
    fade_out,
    file_extension,
    loudness_lufs,
    match_loudness,
    parse_output_format,
    peak_limit,
    presence_boost,
    probe_duration,
    resample,
    rms_db,
    silence,
    trim_silence,
)
from polyvox.audio.decode import ALAW_TO_INT16, ULAW_TO_INT16

IN_RATE = 24000
CHUNKS = (37, 1000, 4801)


def _signal(seconds: float = 2.0, rate: int = IN_RATE) -> np.ndarray:
    """220 Hz tone plus an inharmonic partial under a slow amplitude envelope."""
    t = np.arange(int(seconds * rate)) / rate
    env = 0.35 + 0.25 * np.sin(2 * np.pi * 1.3 * t) * np.exp(-0.3 * t)
    tone = np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 587 * t + 0.4)
    return (0.8 * env * tone).astype(np.float32)


def _stream(enc: StreamEncoder, pcm: np.ndarray) -> tuple[bytes, int]:
    """Feed odd-sized chunks; return (all bytes, bytes produced after >= 1 s of input)."""
    out: list[bytes] = []
    early = -1
    pos = i = 0
    while pos < pcm.shape[0]:
        n = CHUNKS[i % len(CHUNKS)]
        out.append(enc.write(pcm[pos : pos + n]))
        pos += n
        i += 1
        if early < 0 and pos >= IN_RATE:
            early = sum(map(len, out))
    out.append(enc.finish())
    return b"".join(out), early


def _aligned_corr(ref: np.ndarray, dec: np.ndarray, max_lag: int = 1500) -> tuple[float, int]:
    """Best Pearson correlation over lags in [-max_lag, max_lag] (dec shifted by lag)."""
    full = sps.correlate(dec, ref, mode="full", method="fft")
    zero = ref.shape[0] - 1
    window = full[zero - max_lag : zero + max_lag + 1]
    lag = int(np.argmax(window)) - max_lag
    a = ref[max(0, -lag) :]
    b = dec[max(0, lag) :]
    n = min(a.shape[0], b.shape[0])
    return float(np.corrcoef(a[:n], b[:n])[0, 1]), lag


def _decode(data: bytes, name: str) -> tuple[np.ndarray, int]:
    fmt = parse_output_format(name)
    return decode_raw(data, fmt) if fmt.is_raw else decode_audio(data)


@pytest.mark.parametrize("name", OUTPUT_FORMATS)
def test_stream_encode_roundtrip(name: str) -> None:
    fmt = parse_output_format(name)
    pcm = _signal()
    enc = StreamEncoder(fmt, IN_RATE)
    data, early = _stream(enc, pcm)
    # Half the input was written after the 1 s mark; bytes must already flow.
    assert early >= 0.3 * len(data), f"only {early} of {len(data)} bytes out after 1 s of input"

    dec, rate = _decode(data, name)
    assert rate == fmt.sample_rate
    if fmt.codec == "mp3":
        assert enc.priming_samples == MP3_ENCODER_DELAY
        dec = dec[MP3_ENCODER_DELAY:]
    assert abs(dec.shape[0] / rate - 2.0) <= 0.060, dec.shape[0] / rate

    ref = resample(pcm, IN_RATE, rate)
    corr, lag = _aligned_corr(ref, dec)
    floor = 0.8 if fmt.bitrate is not None and fmt.bitrate < 64000 else 0.9
    assert corr > floor, (name, corr, lag)
    if fmt.codec in ("pcm", "wav", "ulaw", "alaw"):
        assert lag == 0 and corr > 0.999, (name, corr, lag)


@pytest.mark.parametrize("name", ["ulaw_8000", "alaw_8000"])
def test_g711_decodes_identically_with_pyav(name: str) -> None:
    data = encode(_signal(0.5), IN_RATE, parse_output_format(name))
    ctx = av.CodecContext.create("pcm_mulaw" if name.startswith("ulaw") else "pcm_alaw", "r")
    ctx.sample_rate, ctx.layout = 8000, "mono"
    frames = list(ctx.decode(av.Packet(data)))
    via_av = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32) / 32768
    ours, _ = decode_raw(data, parse_output_format(name))
    np.testing.assert_array_equal(via_av, ours)


def test_g711_reference_vectors_and_nearest_level() -> None:
    def enc(name: str, values: list[int]) -> list[int]:
        x = np.array(values, dtype=np.float32) / 32767.0
        return list(encode(x, 8000, parse_output_format(name)))

    # ITU-T G.191 reference coder values.
    assert enc("ulaw_8000", [0, -1, 32767, -32767, 1000]) == [0xFF, 0x7F, 0x80, 0x00, 0xCE]
    assert enc("alaw_8000", [0, -1, 32767, -32767, 1000]) == [0xD5, 0x55, 0xAA, 0x2A, 0xFA]
    # Every int16 maps to a level within one quantisation step of the nearest level.
    ints = np.arange(-32767, 32768, 7, dtype=np.int64)
    for name, table in (("ulaw_8000", ULAW_TO_INT16), ("alaw_8000", ALAW_TO_INT16)):
        codes = np.frombuffer(encode(ints / 32767.0, 8000, parse_output_format(name)), np.uint8)
        err = np.abs(table[codes].astype(np.int64) - ints)
        levels = np.sort(table.astype(np.int64))
        idx = np.clip(np.searchsorted(levels, ints), 1, levels.size - 1)
        nearest = np.minimum(np.abs(levels[idx] - ints), np.abs(levels[idx - 1] - ints))
        step = np.diff(levels)[np.clip(idx - 1, 0, levels.size - 2)]
        assert np.all(err <= nearest + step // 2 + 8), name


def test_wav_streaming_header_and_oneshot_sizes() -> None:
    fmt = parse_output_format("wav_16000")
    enc = StreamEncoder(fmt, IN_RATE)
    first = enc.write(_signal(0.2))
    assert first[:4] == b"RIFF" and first[8:16] == b"WAVEfmt "
    assert struct.unpack("<I", first[4:8])[0] == 0xFFFFFFFF
    assert struct.unpack("<I", first[40:44])[0] == 0xFFFFFFFF
    rest = enc.finish()
    assert b"RIFF" not in rest
    whole = encode(_signal(0.2), IN_RATE, fmt)
    assert struct.unpack("<I", whole[40:44])[0] == len(whole) - 44
    assert struct.unpack("<I", whole[4:8])[0] == len(whole) - 8
    assert probe_duration(whole) == pytest.approx(0.2, abs=1e-3)


def test_encoder_edge_cases() -> None:
    enc = StreamEncoder(parse_output_format("mp3_44100_128"), IN_RATE)
    assert enc.write(np.zeros(0, np.float32)) == b""
    for _ in range(5):
        enc.write(np.full(1, 2.0, np.float32))  # out-of-range and tiny chunks
    enc.write(np.array([np.nan, -np.inf], np.float32))
    tail = enc.finish()
    assert isinstance(tail, bytes)
    with pytest.raises(RuntimeError):
        enc.write(np.zeros(10, np.float32))
    with StreamEncoder(parse_output_format("opus_48000_64"), IN_RATE) as aborted:
        aborted.write(_signal(0.3))  # client went away: close() without finish()
    with pytest.raises(RuntimeError):
        aborted.finish()
    pcm = encode(np.array([1.5, -1.5, 0.5, 0.00002], np.float32), 8000, parse_output_format("pcm_8000"))
    assert list(np.frombuffer(pcm, "<i2")) == [32767, -32767, 16384, 1]


def test_format_parsing() -> None:
    assert len(OUTPUT_FORMATS) == len(set(OUTPUT_FORMATS)) == 28
    mp3 = parse_output_format("mp3_44100_128")
    assert (mp3.codec, mp3.sample_rate, mp3.bitrate, mp3.media_type) == ("mp3", 44100, 128000, "audio/mpeg")
    assert parse_output_format("mp3_22050_160").bitrate == 160000
    assert parse_output_format("pcm_16000").container == "raw"
    assert parse_output_format("ulaw_8000").media_type == "audio/basic"
    assert parse_output_format("alaw_8000").media_type == "audio/x-alaw-basic"
    assert parse_output_format("opus_48000_64").media_type == "audio/ogg"
    assert parse_output_format("wav_44100").media_type == "audio/wav"
    assert file_extension(parse_output_format("opus_48000_32")) == "opus"
    assert file_extension("pcm_24000") == "pcm"
    with pytest.raises(AttributeError):
        mp3.sample_rate = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad", ["", "mp3", "mp3_44100_999", "mp3_16000_64", "flac_44100", "pcm_11025", "opus_24000_64", "ulaw_16000", "wav_x"]
)
def test_bad_format_name(bad: str) -> None:
    with pytest.raises(ValueError, match="mp3_"):
        parse_output_format(bad)


@pytest.mark.parametrize("data", [b"", bytes(np.random.default_rng(7).integers(0, 256, 8192, dtype=np.uint8))])
def test_decode_rejects_garbage(data: bytes) -> None:
    with pytest.raises(AudioDecodeError):
        decode_audio(data)
    with pytest.raises(ValueError):
        probe_duration(data)


def test_decode_errors_and_resampling(tmp_path) -> None:
    with pytest.raises(AudioDecodeError):
        decode_raw(b"\x00\x01\x02", parse_output_format("pcm_24000"))
    with pytest.raises(AudioDecodeError):
        decode_audio(tmp_path / "missing.wav")
    mp3 = encode(_signal(1.0), IN_RATE, parse_output_format("mp3_44100_128"))
    truncated = mp3[: len(mp3) // 2]
    pcm, rate = decode_audio(truncated)  # partial but valid stream still decodes
    assert rate == 44100 and pcm.shape[0] > 0
    path = tmp_path / "clip.ogg"
    path.write_bytes(encode(_signal(1.0), IN_RATE, parse_output_format("opus_48000_64")))
    pcm, rate = decode_audio(path, target_rate=16000)
    assert rate == 16000 and abs(pcm.shape[0] - 16000) <= 16 and pcm.dtype == np.float32
    assert probe_duration(path) == pytest.approx(1.0, abs=0.01)


def _seam_segments() -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(int(0.5 * IN_RATE)) / IN_RATE
    a = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    b = (0.5 * np.cos(2 * np.pi * 220 * t)).astype(np.float32)  # starts at +0.5: a hard jump
    return a, b


def test_seams_click_free_with_fades() -> None:
    a, b = _seam_segments()
    assert detect_click(np.concatenate([a, b]), IN_RATE) > 1.0  # detector sees the raw seam
    # The caller fades both edges of every segment: a stream's end is a seam
    # too once the mp3 decoder appends padding after it.
    a_f, b_f = (fade_out(fade_in(s, IN_RATE, 8), IN_RATE, 8) for s in (a, b))
    # One encoder, segments written back to back.
    enc = StreamEncoder(parse_output_format("pcm_24000"), IN_RATE)
    one = enc.write(a_f) + enc.write(b_f) + enc.finish()
    assert detect_click(decode_raw(one, parse_output_format("pcm_24000"))[0], IN_RATE) < 0.3
    # Two encoders whose byte streams are concatenated by the caller.
    for name in ("pcm_24000", "pcm_16000", "mp3_44100_128"):
        fmt = parse_output_format(name)
        joined = encode(a_f, IN_RATE, fmt) + encode(b_f, IN_RATE, fmt)
        dec, rate = _decode(joined, name)
        assert detect_click(dec, rate) < 0.5, name


def test_fades_silence_and_trim() -> None:
    x = np.ones(2400, np.float32)
    fi, fo = fade_in(x, IN_RATE, 10), fade_out(x, IN_RATE, 10)
    assert fi[0] < 0.01 and fi[239] > 0.99 and fi[240] == 1.0 and np.all(np.diff(fi) >= 0)
    assert fo[-1] < 0.01 and np.allclose(fo[::-1], fi) and x[0] == 1.0  # input untouched
    assert silence(0.25, 16000).shape == (4000,) and not silence(0.25, 16000).any()
    tone = _signal(0.5)
    padded = np.concatenate([silence(0.3, IN_RATE), tone, silence(0.2, IN_RATE)])
    trimmed, lead = trim_silence(padded, IN_RATE, pad_ms=20)
    assert lead == int(0.3 * IN_RATE) - int(0.02 * IN_RATE)
    assert abs(trimmed.shape[0] - (tone.shape[0] + int(0.04 * IN_RATE))) <= 120
    empty, lead = trim_silence(silence(0.1, IN_RATE), IN_RATE)
    assert empty.shape == (0,) and lead == 2400


def test_levels_and_loudness() -> None:
    sine = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(IN_RATE) / IN_RATE)).astype(np.float32)
    assert rms_db(sine) == pytest.approx(-9.03, abs=0.05)
    assert rms_db(np.zeros(10)) == -120.0
    full = loudness_lufs(sine, IN_RATE)
    assert full == pytest.approx(-9.03, abs=0.5)
    assert loudness_lufs(sine[:2400], IN_RATE) == pytest.approx(full, abs=0.5)  # 100 ms clip
    assert np.isfinite(loudness_lufs(sine[:100], IN_RATE))
    assert loudness_lufs(np.zeros(IN_RATE), IN_RATE) == -70.0
    louder = match_loudness(sine * 0.2, IN_RATE, -16.0)
    assert loudness_lufs(louder, IN_RATE) == pytest.approx(-16.0, abs=0.3)
    capped = match_loudness(sine * 0.001, IN_RATE, -16.0, max_gain_db=12)
    assert rms_db(capped) == pytest.approx(rms_db(sine * 0.001) + 12, abs=0.1)


def test_peak_limit_is_soft() -> None:
    x = _signal(1.0) * 3.0
    y = peak_limit(x, ceiling=0.97)
    assert np.max(np.abs(y)) <= 0.97
    assert np.mean(np.abs(y) >= 0.969) < 0.01  # no flat-topped (hard-clipped) runs
    assert detect_click(y, IN_RATE) < 0.5
    quiet = _signal(1.0) * 0.5
    np.testing.assert_array_equal(peak_limit(quiet), quiet)


def test_resample_and_presence_boost() -> None:
    x = _signal(1.0)
    assert resample(x, IN_RATE, 16000).shape == (16000,)
    assert resample(x, IN_RATE, IN_RATE) is not x
    t = np.arange(IN_RATE) / IN_RATE
    hi = np.sin(2 * np.pi * 3500 * t).astype(np.float32)
    lo = np.sin(2 * np.pi * 150 * t).astype(np.float32)
    assert rms_db(presence_boost(hi, IN_RATE, 4.0)) - rms_db(hi) == pytest.approx(4.0, abs=0.3)
    assert abs(rms_db(presence_boost(lo, IN_RATE, 4.0)) - rms_db(lo)) < 0.5
    assert presence_boost(lo, 8000, 3.0).dtype == np.float32


def test_decode_audio_stereo_and_mono_downmix() -> None:
    buf = io.BytesIO()
    with av.open(buf, "w", format="wav") as c:
        s = c.add_stream("pcm_s16le", rate=8000, layout="stereo")
        left = (np.sin(np.arange(800) / 5) * 10000).astype(np.int16)
        inter = np.stack([left, -left // 2], axis=1).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(inter, format="s16", layout="stereo")
        frame.sample_rate = 8000
        for p in s.encode(frame):
            c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    stereo, rate = decode_audio(buf.getvalue(), mono=False)
    assert rate == 8000 and stereo.shape == (800, 2)
    mono, _ = decode_audio(buf.getvalue())
    assert mono.shape == (800,)
