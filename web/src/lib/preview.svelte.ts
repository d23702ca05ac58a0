/** One shared player for voice previews: starting one stops the other. */
import { previewPath, type Voice } from './api';
import { toast } from './toast.svelte';

export const preview = $state({ voiceId: '', loading: false });

let audio: HTMLAudioElement | null = null;

export function togglePreview(v: Voice): void {
  if (preview.voiceId === v.voice_id) {
    stopPreview();
    return;
  }
  stopPreview();
  audio = new Audio(previewPath(v));
  preview.voiceId = v.voice_id;
  preview.loading = true;
  const me = audio;
  audio.addEventListener('playing', () => me === audio && (preview.loading = false));
  audio.addEventListener('ended', () => me === audio && stopPreview());
  audio.addEventListener('error', () => {
    if (me !== audio) return;
    stopPreview();
    toast(`The preview of ${v.name} could not be played.`, 'error');
  });
  audio.play().catch(() => {
    /* the error event reports it */
  });
}

export function stopPreview(): void {
  audio?.pause();
  audio = null;
  preview.voiceId = '';
  preview.loading = false;
}
