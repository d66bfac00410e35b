/**
 * The API key and project chosen in the page. Kept in sessionStorage only:
 * gone when the tab closes, never written to a cookie or localStorage, and
 * sent only as `Authorization: Bearer` to this origin's API.
 */
const KEY = 'lookspan.apiKey';
const PROJECT = 'lookspan.project';

function read(name: string): string | null {
  try {
    return sessionStorage.getItem(name) || null;
  } catch {
    return null;
  }
}

function write(name: string, value: string | null): void {
  try {
    if (value) sessionStorage.setItem(name, value);
    else sessionStorage.removeItem(name);
  } catch {
    // Storage refused (private mode quota): the value lives as long as the page.
  }
  window.dispatchEvent(new Event('lookspan:credentials'));
}

export const apiKey = () => read(KEY);
export const setApiKey = (k: string | null) => write(KEY, k?.trim() || null);
export const project = () => read(PROJECT);
export const setProject = (p: string | null) => write(PROJECT, p?.trim() || null);
