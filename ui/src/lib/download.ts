import { apiFetch } from '../api/client.js';

export interface Downloaded {
  filename: string;
  count: number | null;
  truncated: boolean;
  sha256: string | null;
}

/**
 * Fetches a file from the API with the page's credentials (a plain link
 * cannot send the Authorization header) and hands it to the browser as a
 * download under the name the server gave it.
 */
export async function download(path: string, fallbackName: string): Promise<Downloaded> {
  const r = await apiFetch(path);
  const blob = await r.blob();
  const disposition = r.headers.get('Content-Disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the blob once the click ran; revoke on a later turn.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  const count = r.headers.get('X-Lookspan-Export-Count');
  return { filename, count: count === null ? null : Number(count), truncated: r.headers.get('X-Lookspan-Export-Truncated') === 'true', sha256: r.headers.get('X-Lookspan-Export-Sha256') };
}
