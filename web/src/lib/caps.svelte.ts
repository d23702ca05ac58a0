/**
 * Which capabilities this server has. Pages for routes that other parts of polyvox add later
 * ask here first: the server's OpenAPI document lists every route it serves. If that document
 * cannot be read, an OPTIONS request tells (405 = the route exists for other methods, 404 = no).
 * The answer is refreshed when a page asks again after a while, so a page lights up as soon as
 * the server gains the route, without rebuilding the app.
 */

export type Capability =
  | 'isolator'
  | 'voiceChanger'
  | 'soundEffects'
  | 'speechToText'
  | 'dictionaries'
  | 'dictionaryRules'
  | 'clone'
  | 'design'
  | 'designSave'
  | 'apiKeys';

/** Routes (method, path template) that make up each capability; the first one present wins. */
const ROUTES: Record<Capability, [string, string][]> = {
  isolator: [['post', '/v1/audio-isolation']],
  voiceChanger: [['post', '/v1/speech-to-speech/{voice_id}'], ['post', '/v1/voice-changer/{voice_id}']],
  soundEffects: [['post', '/v1/sound-generation']],
  speechToText: [['post', '/v1/speech-to-text']],
  dictionaries: [['get', '/v1/pronunciation-dictionaries'], ['get', '/v1/pronunciation-dictionaries/']],
  dictionaryRules: [['post', '/v1/pronunciation-dictionaries/{pronunciation_dictionary_id}/add-rules']],
  clone: [['post', '/v1/voices/add']],
  design: [['post', '/v1/text-to-voice/create-previews']],
  designSave: [['post', '/v1/text-to-voice'], ['post', '/v1/text-to-voice/create-voice-from-preview']],
  apiKeys: [['get', '/v1/api-keys'], ['get', '/v1/keys']],
};

export const LABELS: Record<Capability, string> = {
  isolator: 'Voice isolator',
  voiceChanger: 'Voice changer',
  soundEffects: 'Sound effects',
  speechToText: 'Speech to text',
  dictionaries: 'Pronunciation dictionaries',
  dictionaryRules: 'Pronunciation dictionary rules',
  clone: 'Voice cloning',
  design: 'Voice design',
  designSave: 'Saving designed voices',
  apiKeys: 'API key management',
};

export const ROUTE_TEXT: Record<Capability, string> = Object.fromEntries(
  Object.entries(ROUTES).map(([k, v]) => [k, `${v[0][0].toUpperCase()} ${v[0][1]}`]),
) as Record<Capability, string>;

interface State {
  loaded: boolean;
  checkedAt: number;
  /** the concrete path template the server serves, per capability (null: not served) */
  paths: Partial<Record<Capability, string | null>>;
  version: string;
}

export const caps = $state<State>({ loaded: false, checkedAt: 0, paths: {}, version: '' });

let inflight: Promise<void> | null = null;

const norm = (p: string) => p.replace(/\{[^}]+\}/g, '{}').replace(/\/+$/, '') || '/';

async function probeOptions(path: string): Promise<boolean> {
  try {
    const res = await fetch(path.replace(/\{[^}]+\}/g, 'probe'), { method: 'OPTIONS' });
    return res.status !== 404;
  } catch {
    return false;
  }
}

async function refresh(): Promise<void> {
  const paths: State['paths'] = {};
  let spec: { paths?: Record<string, Record<string, unknown>>; info?: { version?: string } } | null = null;
  try {
    const res = await fetch('/openapi.json');
    if (res.ok) spec = await res.json();
  } catch {
    spec = null;
  }
  if (spec?.paths) {
    const served = new Map<string, string[]>();
    for (const [p, ops] of Object.entries(spec.paths)) served.set(norm(p), Object.keys(ops));
    for (const [cap, routes] of Object.entries(ROUTES) as [Capability, [string, string][]][]) {
      const hit = routes.find(([m, p]) => served.get(norm(p))?.includes(m));
      paths[cap] = hit ? hit[1] : null;
    }
    caps.version = spec.info?.version ?? '';
  } else {
    for (const [cap, routes] of Object.entries(ROUTES) as [Capability, [string, string][]][]) {
      paths[cap] = null;
      for (const [, p] of routes) {
        if (await probeOptions(p)) {
          paths[cap] = p;
          break;
        }
      }
    }
  }
  caps.paths = paths;
  caps.loaded = true;
  caps.checkedAt = Date.now();
}

/** Make sure the capability list is fresh (at most `maxAgeMs` old). */
export function ensureCaps(maxAgeMs = 15_000): Promise<void> {
  if (caps.loaded && Date.now() - caps.checkedAt < maxAgeMs) return Promise.resolve();
  inflight ??= refresh().finally(() => (inflight = null));
  return inflight;
}

/** The path template for a capability, with its parameters filled in, or null when not served. */
export function capPath(cap: Capability, params: Record<string, string> = {}): string | null {
  const p = caps.paths[cap];
  if (!p) return null;
  return p.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? Object.values(params)[0] ?? ''));
}

export function has(cap: Capability): boolean {
  return !!caps.paths[cap];
}
