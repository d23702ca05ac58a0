/**
 * Talking to the polyvox server: one fetch wrapper that sends the API key, turns error bodies
 * (ElevenLabs shapes) into sentences a person understands, and an upload helper with progress.
 */
import { session, signOut } from './session.svelte';

export class ApiError extends Error {
  status: number;
  code: string;
  detail: unknown;
  constructor(status: number, code: string, message: string, detail?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const FIELD_NAMES: Record<string, string> = {
  text: 'Text',
  voice_id: 'Voice',
  model_id: 'Model',
  output_format: 'Output format',
  stability: 'Stability',
  similarity_boost: 'Similarity',
  style: 'Style exaggeration',
  speed: 'Speed',
  audio: 'Audio file',
  file: 'File',
  files: 'Audio files',
  name: 'Name',
  duration_seconds: 'Duration',
  prompt_influence: 'Prompt influence',
  voice_description: 'Voice description',
  history_item_ids: 'Selected items',
};

function fieldName(loc: unknown[]): string {
  const parts = loc.filter((p) => typeof p === 'string' && !['body', 'query', 'path', 'form'].includes(p as string));
  const last = parts[parts.length - 1] as string | undefined;
  if (!last) return '';
  return FIELD_NAMES[last] ?? last.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const cap = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : cap + '.';
}

/** Turn a status code and a parsed error body into one readable sentence. */
export function describeError(status: number, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  // 422 validation list: [{loc, msg, type}]
  if (Array.isArray(detail)) {
    const lines = detail.slice(0, 3).map((d: { loc?: unknown[]; msg?: string }) => {
      const f = fieldName(d.loc ?? []);
      const msg = (d.msg ?? 'is not valid').replace(/^Value error, /, '');
      return f ? `${f}: ${msg}` : msg;
    });
    const more = detail.length > 3 ? ` (and ${detail.length - 3} more)` : '';
    return new ApiError(status, 'validation_error', `Please check the form. ${lines.map(sentence).join(' ')}${more}`, detail);
  }
  let code = '';
  let message = '';
  if (detail && typeof detail === 'object') {
    const d = detail as { status?: string; message?: string; code?: string };
    code = d.status ?? d.code ?? '';
    message = d.message ?? '';
  } else if (typeof detail === 'string') {
    message = detail;
  }
  if (status === 401) {
    return new ApiError(status, code || 'unauthorized',
      'The server did not accept this API key. Check that you copied the whole key, or ask the server admin for a new one.', detail);
  }
  if (status === 403) {
    return new ApiError(status, code || 'forbidden', message ? `You are not allowed to do that: ${sentence(message)}` : 'This API key is not allowed to do that.', detail);
  }
  if (status === 429) {
    return new ApiError(status, code || 'busy',
      message ? `The server is busy right now. ${sentence(message)} Try again in a moment.` : 'The server is busy right now. Try again in a moment.', detail);
  }
  if (status === 413) return new ApiError(status, code || 'too_large', 'That file is too large for the server.', detail);
  if (status === 404 && !message) return new ApiError(status, 'not_found', 'That item no longer exists.', detail);
  if (status >= 500 && !message) return new ApiError(status, code || 'server_error', 'The server ran into a problem. Try again; if it keeps happening, check the server log.', detail);
  return new ApiError(status, code || 'error', message ? sentence(message) : `The request failed (HTTP ${status}).`, detail);
}

export function networkError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof DOMException && e.name === 'AbortError') return new ApiError(0, 'aborted', 'Stopped.');
  return new ApiError(0, 'network', 'Could not reach the polyvox server. Check that it is running and try again.');
}

export function friendly(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return networkError(e).message;
  return String(e);
}

async function readError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return describeError(res.status, body);
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined | null | string[]>;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  key?: string; // override the session key (sign-in)
  auth?: boolean; // default true
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => params.append(k, x));
    else params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Send a request; resolve with the Response when it is ok, else throw an ApiError with a readable message. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const key = opts.key ?? session.key;
  if (opts.auth !== false && key) headers['xi-api-key'] = key;
  let body: BodyInit | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body, signal: opts.signal });
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok) {
    const err = await readError(res);
    // the key stopped working mid-session (revoked): go back to sign-in
    if (res.status === 401 && opts.key === undefined && session.key) signOut(err.message);
    throw err;
  }
  return res;
}

export async function getJson<T = any>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  return (await res.json()) as T;
}

export async function sendJson<T = any>(path: string, json: unknown, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, { method: 'POST', ...opts, json });
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export async function getBlob(path: string, opts: RequestOptions = {}): Promise<Blob> {
  const res = await request(path, opts);
  return await res.blob();
}

export interface UploadProgress {
  phase: 'uploading' | 'processing' | 'downloading' | 'done';
  fraction: number; // 0..1 within the phase; -1 when unknown
}

export interface UploadResult<T> {
  body: T;
  headers: (name: string) => string | null;
  contentType: string;
}

/**
 * POST a multipart form with upload and download progress (fetch has no upload progress).
 * `as`: 'blob' for audio answers, 'json' for JSON answers.
 */
export function upload<T = Blob>(path: string, form: FormData, opts: {
  as?: 'blob' | 'json';
  query?: RequestOptions['query'];
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
} = {}): Promise<UploadResult<T>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', buildUrl(path, opts.query));
    if (session.key) xhr.setRequestHeader('xi-api-key', session.key);
    xhr.responseType = 'blob';
    const report = (p: UploadProgress) => opts.onProgress?.(p);
    xhr.upload.onprogress = (e) => report({ phase: 'uploading', fraction: e.lengthComputable ? e.loaded / e.total : -1 });
    xhr.upload.onload = () => report({ phase: 'processing', fraction: -1 });
    xhr.onprogress = (e) => report({ phase: 'downloading', fraction: e.lengthComputable ? e.loaded / e.total : -1 });
    xhr.onerror = () => reject(networkError(new Error('network')));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Stopped.'));
    xhr.onload = async () => {
      const blob = xhr.response as Blob;
      if (xhr.status < 200 || xhr.status >= 300) {
        let body: unknown = null;
        try {
          body = JSON.parse(await blob.text());
        } catch {
          body = null;
        }
        const err = describeError(xhr.status, body);
        if (xhr.status === 401 && session.key) signOut(err.message);
        reject(err);
        return;
      }
      report({ phase: 'done', fraction: 1 });
      const contentType = xhr.getResponseHeader('content-type') ?? '';
      const out = opts.as === 'json' ? JSON.parse(await blob.text()) : blob;
      resolve({ body: out as T, headers: (n) => xhr.getResponseHeader(n), contentType });
    };
    opts.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(form);
  });
}

/** Save a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---------------------------------------------------------------------------------------------
// shapes we use (subset of the ElevenLabs models)

export interface VoiceSettings {
  stability: number;
  similarity_boost: number;
  style: number;
  use_speaker_boost: boolean;
  speed: number;
}

export interface Voice {
  voice_id: string;
  name: string;
  category: string;
  description: string | null;
  labels: Record<string, string>;
  preview_url: string | null;
  settings: VoiceSettings | null;
  is_owner?: boolean;
  created_at_unix?: number | null;
  verified_languages?: { language: string; accent?: string | null }[];
}

export interface Model {
  model_id: string;
  name: string;
  description: string;
  can_do_text_to_speech: boolean;
  can_do_voice_conversion: boolean;
  can_use_style: boolean;
  can_use_speaker_boost: boolean;
  maximum_text_length_per_request: number;
  languages: { language_id: string; name: string }[];
}

export interface HistoryItem {
  history_item_id: string;
  voice_id: string;
  voice_name: string;
  model_id: string | null;
  text: string;
  date_unix: number;
  character_count_change_from: number;
  character_count_change_to: number;
  content_type: string;
  output_format?: string;
  duration_seconds?: number;
  source?: string;
  settings?: Record<string, unknown> | null;
}

export interface Subscription {
  tier: string;
  character_count: number;
  character_limit: number | null;
  next_character_count_reset_unix: number;
  voice_slots_used: number;
  voice_limit: number;
  status: string;
}

export interface User {
  user_id: string;
  first_name?: string | null;
  xi_api_key_preview?: string | null;
  subscription: Subscription;
}

/** Same-origin path of a voice preview (the server gives an absolute URL that may name another host). */
export function previewPath(v: Voice): string {
  return `/v1/voices/${encodeURIComponent(v.voice_id)}/preview`;
}
