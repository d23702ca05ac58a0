/** A tiny history-API router: the server answers every app path with index.html. */

export const route = $state({ path: location.pathname, query: new URLSearchParams(location.search) });

export function navigate(to: string, replace = false): void {
  const url = new URL(to, location.origin);
  if (url.pathname + url.search === location.pathname + location.search) return;
  if (replace) history.replaceState({}, '', url);
  else history.pushState({}, '', url);
  route.path = url.pathname;
  route.query = url.searchParams;
  if (!replace) window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  route.path = location.pathname;
  route.query = new URLSearchParams(location.search);
});

/** onclick for <a href="/..."> links: navigate in-app unless a modifier asks for a new tab. */
export function link(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLElement).closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || a.target) return;
  e.preventDefault();
  navigate(href);
}
