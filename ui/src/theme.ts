/** Light, dark or the system's choice; the choice is a preference, not data, so it may outlive the tab. */
export type Theme = 'system' | 'light' | 'dark';

const KEY = 'lookspan.theme';

export function theme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

/** Applies the theme to the document (data-theme on <html>; CSS picks the palette). */
export function applyTheme(t: Theme = theme()): void {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

export function setTheme(t: Theme): void {
  try {
    if (t === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    // Not stored: it still applies to this page.
  }
  applyTheme(t);
  window.dispatchEvent(new Event('lookspan:theme'));
}
