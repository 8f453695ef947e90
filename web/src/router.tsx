import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** A few routes need no library: the History API, and a link that uses it. */
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

const location = () => window.location.pathname + window.location.search;

export function navigate(to: string, replace = false): void {
  if (to === location()) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const listener of listeners) listener();
  // A new page: screen readers and keyboards start at its content, as after a full load.
  document.getElementById('main')?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** The path and query of the page, re-rendering on each navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const current = useSyncExternalStore(subscribe, location);
  const [path = '/', search = ''] = current.split('?');
  return { path, query: new URLSearchParams(search) };
}

/** `/course/:id` against `/course/abc` → `{id: 'abc'}`; undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.replace(/\/+$/, '').split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = have[index] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(actual);
    else if (part !== actual) return undefined;
  }
  return params;
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...rest} />;
}
