import { useEffect, useRef, useState } from 'preact/hooks';
import { apiKey } from './api/credentials.js';
import { PageBoundary } from './components/boundary.js';
import { Alerts } from './pages/alerts.js';
import { Costs } from './pages/costs.js';
import { Live } from './pages/live.js';
import { Overview } from './pages/overview.js';
import { Servers } from './pages/servers.js';
import { SessionDetail } from './pages/session-detail.js';
import { Sessions } from './pages/sessions.js';
import { Settings } from './pages/settings.js';
import { TraceDetail } from './pages/trace-detail.js';
import { Traces } from './pages/traces.js';
import { NAV, navSection } from './lib/routes.js';
import { Link, useLocation } from './router.js';

function useHasKey(): boolean {
  const [has, setHas] = useState(apiKey() !== null);
  useEffect(() => {
    const update = () => setHas(apiKey() !== null);
    window.addEventListener('lookspan:credentials', update);
    return () => window.removeEventListener('lookspan:credentials', update);
  }, []);
  return has;
}

/** The frame: skip link, header with the main navigation, and the page of the current path. */
export function App() {
  const { route, search, pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const hasKey = useHasKey();
  // After a navigation, focus goes to the new page's heading, as a page load would put a screen reader there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = main.current?.querySelector('h1');
    (h1 ?? main.current)?.focus();
  }, [pathname]);
  const section = navSection(route.page);
  let page;
  switch (route.page) {
    case 'overview': page = <Overview />; break;
    case 'live': page = <Live />; break;
    case 'traces': page = <Traces search={search} />; break;
    case 'trace': page = <TraceDetail key={route.params.traceId} traceId={route.params.traceId} />; break;
    case 'sessions': page = <Sessions search={search} />; break;
    case 'session': page = <SessionDetail key={route.params.sessionId} sessionId={route.params.sessionId} />; break;
    case 'costs': page = <Costs search={search} />; break;
    case 'servers': page = <Servers />; break;
    case 'alerts': page = <Alerts />; break;
    case 'settings': page = <Settings />; break;
    default: page = <><h1 tabIndex={-1}>Not found</h1><p>No page at {pathname}. <Link href="/">Overview</Link></p></>;
  }
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <Link href="/" class="brand" aria-label="Lookspan overview">Lookspan</Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.page}><Link href={n.path} aria-current={section === n.page ? 'page' : undefined}>{n.label}</Link></li>
            ))}
          </ul>
        </nav>
        <Link href="/settings" class={`key-state${hasKey ? ' set' : ''}`}>{hasKey ? 'Key set' : 'No key'}</Link>
      </header>
      <main id="main" ref={main} tabIndex={-1}><PageBoundary key={pathname}>{page}</PageBoundary></main>
    </>
  );
}
