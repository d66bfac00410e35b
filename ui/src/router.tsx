import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { matchRoute, type Route } from './lib/routes.js';

const CHANGE = 'lookspan:navigate';

/** Moves to `href` within the page (history entry, no reload); `replace` for filter edits that should not stack up. */
export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event(CHANGE));
}

export interface LocationState {
  route: Route;
  pathname: string;
  search: string;
}

function current(): LocationState {
  return { route: matchRoute(location.pathname), pathname: location.pathname, search: location.search };
}

/** The page's location, updated on navigate() and on the browser's back and forward. */
export function useLocation(): LocationState {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return loc;
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** A link that navigates within the page on a plain click and behaves as a normal link otherwise (new tab, copy). */
export function Link({ href, children, ...rest }: AnchorProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={onClick} {...rest}>{children}</a>;
}
