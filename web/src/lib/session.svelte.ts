/** The signed-in API key (kept in sessionStorage: gone when the tab closes) and who it belongs to. */
import type { User } from './api';

const KEY = 'polyvox.apiKey';

function load(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export const session = $state({
  key: load(),
  user: null as User | null,
  /** why the last session ended (shown on the sign-in page) */
  notice: '',
});

export function signIn(key: string, user: User): void {
  session.key = key;
  session.user = user;
  session.notice = '';
  try {
    sessionStorage.setItem(KEY, key);
  } catch {
    /* private mode: the key lives in memory only */
  }
}

export function signOut(notice = ''): void {
  session.key = '';
  session.user = null;
  session.notice = notice;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* ignore */
  }
}
