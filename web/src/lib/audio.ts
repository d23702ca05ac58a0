/** Audio helpers: output formats, raw PCM / G.711 decoding, WAV encoding, peaks and levels. */

export interface FormatInfo {
  name: string;
  codec: 'mp3' | 'pcm' | 'ulaw' | 'alaw' | 'opus' | 'wav';
  rate: number;
  mime: string;
  ext: string;
}

export const OUTPUT_FORMATS: { value: string; label: string }[] = [
  { value: 'mp3_44100_128', label: 'MP3 · 44.1 kHz · 128 kbps' },
  { value: 'mp3_44100_192', label: 'MP3 · 44.1 kHz · 192 kbps' },
  { value: 'mp3_44100_64', label: 'MP3 · 44.1 kHz · 64 kbps' },
  { value: 'mp3_22050_32', label: 'MP3 · 22 kHz · 32 kbps (small)' },
  { value: 'wav_44100', label: 'WAV · 44.1 kHz' },
  { value: 'wav_24000', label: 'WAV · 24 kHz' },
  { value: 'pcm_24000', label: 'PCM · 24 kHz · raw 16-bit' },
  { value: 'pcm_16000', label: 'PCM · 16 kHz · raw 16-bit' },
  { value: 'opus_48000_64', label: 'Opus · 48 kHz · 64 kbps' },
  { value: 'ulaw_8000', label: 'μ-law · 8 kHz (telephony)' },
];

export function parseFormat(name: string): FormatInfo {
  const [codec, rateText] = name.split('_');
  const rate = Number(rateText) || 44100;
  switch (codec) {
    case 'mp3':
      return { name, codec, rate, mime: 'audio/mpeg', ext: 'mp3' };
    case 'pcm':
      return { name, codec, rate, mime: 'audio/pcm', ext: 'pcm' };
    case 'ulaw':
      return { name, codec, rate, mime: 'audio/basic', ext: 'ulaw' };
    case 'alaw':
      return { name, codec, rate, mime: 'audio/x-alaw-basic', ext: 'alaw' };
    case 'opus':
      return { name, codec, rate: 48000, mime: 'audio/ogg', ext: 'ogg' };
    case 'wav':
      return { name, codec, rate, mime: 'audio/wav', ext: 'wav' };
    default:
      return { name, codec: 'mp3', rate, mime: 'audio/mpeg', ext: 'mp3' };
  }
}

/** Formats with no header, that the browser cannot play by itself. */
export const isRaw = (f: FormatInfo) => f.codec === 'pcm' || f.codec === 'ulaw' || f.codec === 'alaw';

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function concatFloat(parts: Float32Array[]): Float32Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** 16-bit little-endian PCM to floats. `bytes` must have an even length. */
export function s16leToFloat(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

function ulawSample(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  let s = ((mantissa << 3) + 0x84) << exponent;
  s -= 0x84;
  return (sign ? -s : s) / 32768;
}

function alawSample(a: number): number {
  a ^= 0x55;
  const sign = a & 0x80;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let s = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return (sign ? s : -s) / 32768;
}

const ULAW = new Float32Array(256).map((_, i) => ulawSample(i));
const ALAW = new Float32Array(256).map((_, i) => alawSample(i));

export function g711ToFloat(bytes: Uint8Array, law: 'ulaw' | 'alaw'): Float32Array {
  const table = law === 'ulaw' ? ULAW : ALAW;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]];
  return out;
}

/** Find the PCM payload of a WAV file (or of its first bytes): [offset of data, sample rate, channels, bits]. */
export function wavHeader(bytes: Uint8Array): { dataOffset: number; rate: number; channels: number; bits: number } | null {
  if (bytes.length < 12) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const tag = (o: number) => String.fromCharCode(bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let o = 12;
  let rate = 0;
  let channels = 1;
  let bits = 16;
  while (o + 8 <= bytes.length) {
    const id = tag(o);
    const size = dv.getUint32(o + 4, true);
    if (id === 'fmt ' && o + 24 <= bytes.length) {
      channels = dv.getUint16(o + 10, true);
      rate = dv.getUint32(o + 12, true);
      bits = dv.getUint16(o + 22, true);
    }
    if (id === 'data') return { dataOffset: o + 8, rate, channels, bits };
    o += 8 + size + (size & 1);
  }
  return null;
}

/** A 16-bit mono WAV file from floats. */
export function encodeWav(samples: Float32Array, rate: number): Blob {
  const buf = new ArrayBuffer(44 + samples.length * 2);
  const dv = new DataView(buf);
  const str = (o: number, s: string) => [...s].forEach((c, i) => dv.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF');
  dv.setUint32(4, 36 + samples.length * 2, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true);
  dv.setUint16(22, 1, true);
  dv.setUint32(24, rate, true);
  dv.setUint32(28, rate * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  str(36, 'data');
  dv.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    dv.setInt16(44 + i * 2, s < 0 ? s * 32768 : s * 32767, true);
  }
  return new Blob([buf], { type: 'audio/wav' });
}

/** Decode a whole raw (headerless) file of a known format to floats. */
export function decodeRaw(bytes: Uint8Array, f: FormatInfo): Float32Array {
  if (f.codec === 'ulaw' || f.codec === 'alaw') return g711ToFloat(bytes, f.codec);
  return s16leToFloat(bytes.subarray(0, bytes.length & ~1));
}

/** Something an <audio> element can play: raw formats become WAV, the rest stays as it is. */
export function playableBlob(bytes: Uint8Array, f: FormatInfo): Blob {
  if (isRaw(f)) return encodeWav(decodeRaw(bytes, f), f.rate);
  return new Blob([bytes as BlobPart], { type: f.mime });
}

/** Max-abs peaks in `buckets` buckets, for drawing a waveform without decoding twice. */
export function peaks(samples: Float32Array, buckets = 800): Float32Array {
  const out = new Float32Array(Math.min(buckets, Math.max(1, samples.length)));
  const step = samples.length / out.length;
  for (let b = 0; b < out.length; b++) {
    let m = 0;
    const end = Math.min(samples.length, Math.floor((b + 1) * step));
    for (let i = Math.floor(b * step); i < end; i++) {
      const v = Math.abs(samples[i]);
      if (v > m) m = v;
    }
    out[b] = m;
  }
  return out;
}

export function rms(samples: Float32Array): number {
  if (!samples.length) return 0;
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i] * samples[i];
  return Math.sqrt(s / samples.length);
}

let sharedCtx: AudioContext | null = null;

/** One AudioContext for the whole app (browsers limit how many may exist). Call from a user gesture. */
export function audioContext(): AudioContext {
  sharedCtx ??= new AudioContext({ latencyHint: 'interactive' });
  if (sharedCtx.state === 'suspended') void sharedCtx.resume();
  return sharedCtx;
}

/** Decode any file the browser understands to mono floats (plus its rate). */
export async function decodeToMono(data: ArrayBuffer): Promise<{ samples: Float32Array; rate: number; duration: number }> {
  const ctx = new OfflineAudioContext(1, 1, 44100);
  const buf = await ctx.decodeAudioData(data);
  const mono = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const ch = buf.getChannelData(c);
    for (let i = 0; i < ch.length; i++) mono[i] += ch[i] / buf.numberOfChannels;
  }
  return { samples: mono, rate: buf.sampleRate, duration: buf.duration };
}
