/** Voices and models, loaded once per session and shared by the pages. */
import { getJson, type Model, type Voice } from './api';

export const store = $state({ voices: [] as Voice[], models: [] as Model[], voicesAt: 0, modelsAt: 0 });

let voicesP: Promise<Voice[]> | null = null;
let modelsP: Promise<Model[]> | null = null;

export function loadVoices(force = false): Promise<Voice[]> {
  if (!force && store.voicesAt && Date.now() - store.voicesAt < 60_000) return Promise.resolve(store.voices);
  voicesP ??= getJson<{ voices: Voice[] }>('/v1/voices')
    .then((r) => {
      store.voices = r.voices;
      store.voicesAt = Date.now();
      return r.voices;
    })
    .finally(() => (voicesP = null));
  return voicesP;
}

export function loadModels(): Promise<Model[]> {
  if (store.modelsAt) return Promise.resolve(store.models);
  modelsP ??= getJson<Model[]>('/v1/models')
    .then((r) => {
      store.models = r;
      store.modelsAt = Date.now();
      return r;
    })
    .finally(() => (modelsP = null));
  return modelsP;
}

export function forgetData(): void {
  store.voices = [];
  store.models = [];
  store.voicesAt = 0;
  store.modelsAt = 0;
}
