import type { UploadProgress } from './api';

/** Words for where a long upload-and-process request is. */
export function progressLabel(p: UploadProgress, processing: string): string {
  if (p.phase === 'uploading') return p.fraction >= 0 ? 'Uploading…' : 'Uploading…';
  if (p.phase === 'processing') return processing;
  if (p.phase === 'downloading') return 'Receiving the result…';
  return 'Done';
}
