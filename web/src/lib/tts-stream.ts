/**
 * Streaming text to speech with playback that starts before synthesis ends.
 *
 * One request to `/v1/text-to-speech/{voice}/stream/with-timestamps` in the chosen output format;
 * every NDJSON line carries audio (base64) and the characters' timing. Each piece of audio is
 * decoded as it arrives and scheduled back to back on a Web Audio clock:
 *   - pcm / wav / μ-law / A-law are decoded here, sample for sample;
 *   - mp3 / opus are decoded by the browser: the bytes so far are decoded again on each arrival
 *     and only the new tail is scheduled (a short guard is held back until the next piece, so a
 *     frame cut at a chunk border is never played half).
 * The server's bytes are kept as they came, for the download, and the alignment for highlighting.
 */
import { describeError, networkError, request } from './api';
import { base64ToBytes, concatBytes, concatFloat, decodeRaw, type FormatInfo, isRaw, playableBlob, s16leToFloat, wavHeader } from './audio';

export interface Alignment {
  characters: string[];
  character_start_times_seconds: number[];
  character_end_times_seconds: number[];
}

interface Segment {
  ctxStart: number;
  mediaStart: number;
  duration: number;
}

export interface StreamResult {
  /** the bytes the server sent, in the requested format (what "Download" saves) */
  download: Blob;
  /** something an <audio> element plays (WAV for raw formats) */
  playable: Blob;
  samples: Float32Array;
  rate: number;
  duration: number;
  historyItemId: string | null;
  requestId: string | null;
  characterCost: number | null;
}

export class StreamingTTS {
  readonly ctx: AudioContext;
  readonly format: FormatInfo;
  chars: string[] = [];
  starts: number[] = [];
  ends: number[] = [];
  /** performance.now() at request, first scheduled audio and end of the stream */
  startedAt = 0;
  firstAudioAt = 0;
  completedAt = 0;
  bytesReceived = 0;
  historyItemId: string | null = null;
  requestId: string | null = null;
  characterCost: number | null = null;
  onUpdate: () => void = () => {};
  /** one peak per 40 ms of audio received, for the live waveform */
  livePeaks: number[] = [];

  private parts: Uint8Array[] = [];
  private floats: Float32Array[] = [];
  private carry: Uint8Array | null = null;
  private wavRate = 0;
  private wavSkip = -1; // bytes still to skip (header) for wav; -1: header not parsed yet
  private decodedFrames = 0;
  private decodeChain: Promise<void> = Promise.resolve();
  private lastDecoded: Float32Array | null = null;
  private segments: Segment[] = [];
  private sources: AudioBufferSourceNode[] = [];
  private nextCtxTime = 0;
  private scheduled = 0; // media seconds scheduled so far
  private stopped = false;
  private gain: GainNode;

  constructor(ctx: AudioContext, format: FormatInfo) {
    this.ctx = ctx;
    this.format = format;
    this.gain = ctx.createGain();
    this.gain.connect(ctx.destination);
  }

  /** Run the request to its end. Resolves with the result; throws an ApiError on failure. */
  async run(voiceId: string, body: unknown, signal: AbortSignal): Promise<StreamResult> {
    this.startedAt = performance.now();
    const res = await request(`/v1/text-to-speech/${encodeURIComponent(voiceId)}/stream/with-timestamps`, {
      method: 'POST',
      json: body,
      query: { output_format: this.format.name },
      signal,
    });
    this.historyItemId = res.headers.get('history-item-id');
    this.requestId = res.headers.get('request-id');
    const cost = res.headers.get('character-cost');
    this.characterCost = cost ? Number(cost) : null;
    if (!res.body) throw networkError(new Error('no body'));
    const reader = res.body.getReader();
    const text = new TextDecoder();
    let pending = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += text.decode(value, { stream: true });
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) this.line(line);
        }
      }
      if (pending.trim()) this.line(pending.trim());
    } catch (e) {
      if (this.stopped) throw networkError(new DOMException('stopped', 'AbortError'));
      throw networkError(e);
    }
    await this.finishDecoding();
    this.completedAt = performance.now();
    this.onUpdate();
    return this.result();
  }

  private line(line: string): void {
    let msg: { audio_base64?: string; alignment?: Alignment | null; detail?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.detail) throw describeError(500, msg);
    if (msg.alignment) this.addAlignment(msg.alignment);
    if (msg.audio_base64) {
      const bytes = base64ToBytes(msg.audio_base64);
      this.bytesReceived += bytes.length;
      this.parts.push(bytes);
      this.decode(bytes);
    }
    this.onUpdate();
  }

  private addAlignment(a: Alignment): void {
    const s = a.character_start_times_seconds ?? [];
    const e = a.character_end_times_seconds ?? [];
    if (!a.characters?.length) return;
    // times are absolute on polyvox; some servers send them relative to each chunk
    const lastEnd = this.ends.length ? this.ends[this.ends.length - 1] : 0;
    const offset = this.ends.length && s[0] + 0.25 < lastEnd ? lastEnd : 0;
    this.chars.push(...a.characters);
    this.starts.push(...s.map((x) => x + offset));
    this.ends.push(...e.map((x) => x + offset));
  }

  // decoding ------------------------------------------------------------------------------

  private decode(bytes: Uint8Array): void {
    const f = this.format;
    if (isRaw(f) && f.codec !== 'pcm') {
      this.push(decodeRaw(bytes, f), f.rate);
    } else if (f.codec === 'pcm') {
      this.pushPcm(bytes, f.rate);
    } else if (f.codec === 'wav') {
      if (this.wavSkip < 0) {
        const all = concatBytes(this.parts);
        const h = wavHeader(all);
        if (!h) return; // header not complete yet
        this.wavRate = h.rate || f.rate;
        this.pushPcm(all.subarray(h.dataOffset), this.wavRate);
        this.wavSkip = 0;
      } else {
        this.pushPcm(bytes, this.wavRate);
      }
    } else {
      this.decodeChain = this.decodeChain.then(() => this.decodeCompressed(false));
    }
  }

  private pushPcm(bytes: Uint8Array, rate: number): void {
    let b = bytes;
    if (this.carry) {
      b = concatBytes([this.carry, bytes]);
      this.carry = null;
    }
    if (b.length & 1) {
      this.carry = b.slice(b.length - 1);
      b = b.subarray(0, b.length - 1);
    }
    if (b.length) this.push(s16leToFloat(b), rate);
  }

  private async decodeCompressed(final: boolean): Promise<void> {
    const all = concatBytes(this.parts);
    if (!all.length) return;
    let buf: AudioBuffer;
    try {
      buf = await this.ctx.decodeAudioData(all.slice().buffer);
    } catch {
      return; // not enough of the stream to decode yet
    }
    const data = buf.getChannelData(0);
    this.lastDecoded = data;
    const guard = final ? 0 : Math.round(0.12 * buf.sampleRate);
    const upto = Math.max(this.decodedFrames, data.length - guard);
    if (upto > this.decodedFrames) {
      this.schedule(data.slice(this.decodedFrames, upto), buf.sampleRate);
      this.decodedFrames = upto;
    }
  }

  private async finishDecoding(): Promise<void> {
    const f = this.format;
    if (f.codec === 'mp3' || f.codec === 'opus') {
      await this.decodeChain;
      await this.decodeCompressed(true);
    }
  }

  private push(samples: Float32Array, rate: number): void {
    this.floats.push(samples);
    this.schedule(samples, rate);
  }

  private schedule(samples: Float32Array, rate: number): void {
    if (this.stopped || !samples.length) return;
    const buf = this.ctx.createBuffer(1, samples.length, rate);
    buf.copyToChannel(samples as Float32Array<ArrayBuffer>, 0);
    const src = this.ctx.createBufferSource();
    src.buffer = buf;
    src.connect(this.gain);
    const now = this.ctx.currentTime;
    let at = this.nextCtxTime;
    if (at < now + 0.02) at = now + (this.segments.length ? 0.02 : 0.06); // first piece, or an underrun
    src.start(at);
    this.sources.push(src);
    const win = Math.max(1, Math.round(rate * 0.04));
    for (let i = 0; i < samples.length; i += win) {
      let m = 0;
      for (let j = i; j < Math.min(samples.length, i + win); j++) m = Math.max(m, Math.abs(samples[j]));
      this.livePeaks.push(m);
    }
    this.segments.push({ ctxStart: at, mediaStart: this.scheduled, duration: buf.duration });
    this.nextCtxTime = at + buf.duration;
    this.scheduled += buf.duration;
    if (!this.firstAudioAt) this.firstAudioAt = performance.now();
  }

  // playback state ------------------------------------------------------------------------

  /** Seconds of audio received and scheduled so far. */
  get duration(): number {
    return this.scheduled;
  }

  /** True while scheduled audio is still sounding. */
  get playing(): boolean {
    return !this.stopped && this.segments.length > 0 && this.ctx.currentTime < this.nextCtxTime;
  }

  /** The position in the audio that is sounding now (seconds). */
  mediaTime(): number {
    const t = this.ctx.currentTime;
    let pos = 0;
    for (const s of this.segments) {
      if (t < s.ctxStart) break;
      pos = Math.min(s.mediaStart + (t - s.ctxStart), s.mediaStart + s.duration);
    }
    return pos;
  }

  /** Stop the sound at once (the request is aborted by the caller's signal). */
  stop(): void {
    this.stopped = true;
    const t = this.ctx.currentTime;
    this.gain.gain.setTargetAtTime(0, t, 0.015);
    for (const s of this.sources) {
      try {
        s.stop(t + 0.08);
      } catch {
        /* already stopped */
      }
    }
    this.nextCtxTime = 0;
  }

  result(): StreamResult {
    const f = this.format;
    const bytes = concatBytes(this.parts);
    let samples: Float32Array;
    let rate: number;
    if (f.codec === 'mp3' || f.codec === 'opus') {
      samples = this.lastDecoded ?? new Float32Array(0);
      rate = this.ctx.sampleRate;
    } else {
      samples = concatFloat(this.floats);
      rate = f.codec === 'wav' ? this.wavRate || f.rate : f.rate;
    }
    return {
      download: new Blob([bytes as BlobPart], { type: f.mime }),
      playable: playableBlob(bytes, f),
      samples,
      rate,
      duration: samples.length / rate,
      historyItemId: this.historyItemId,
      requestId: this.requestId,
      characterCost: this.characterCost,
    };
  }
}

export interface Word {
  text: string;
  start: number;
  end: number;
  space: boolean; // followed by whitespace
}

/** Group per-character alignment into words. */
export function wordsFrom(chars: string[], starts: number[], ends: number[]): Word[] {
  const words: Word[] = [];
  let cur: Word | null = null;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (/\s/.test(c)) {
      if (cur) {
        cur.space = true;
        words.push(cur);
        cur = null;
      }
      continue;
    }
    if (!cur) cur = { text: '', start: starts[i] ?? 0, end: ends[i] ?? 0, space: false };
    cur.text += c;
    cur.end = Math.max(cur.end, ends[i] ?? cur.end);
  }
  if (cur) words.push(cur);
  return words;
}

/** Index of the word sounding at time t (the last word that has started), or -1. */
export function wordAt(words: { start: number; end: number }[], t: number): number {
  let lo = 0;
  let hi = words.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (words[mid].start <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (ans >= 0 && t > words[ans].end + 0.35) return -1; // in a pause after the word
  return ans;
}
