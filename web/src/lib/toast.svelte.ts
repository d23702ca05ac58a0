/** Short confirmations ("Deleted", "Saved") announced to screen readers through a live region. */
export interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}

export const toasts = $state<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: 'ok' | 'error' = 'ok', ms = 3500): void {
  const id = next++;
  toasts.push({ id, text, kind });
  setTimeout(() => {
    const i = toasts.findIndex((t) => t.id === id);
    if (i >= 0) toasts.splice(i, 1);
  }, ms);
}
