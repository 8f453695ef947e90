import { call } from './api/client';

/** The part after the last slash: a server's name never chooses a folder. */
const baseName = (name: string) => name.split(/[\\/]/).pop()?.trim() ?? '';

/**
 * The file name a `Content-Disposition` header gives (RFC 6266): `filename*=UTF-8''…` first,
 * then `filename="…"` or a bare `filename=…`; `fallback` when it gives none.
 */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*[\w-]*'[^']*'([^;\s]+)/i.exec(disposition)?.[1];
  if (extended) {
    try {
      const name = baseName(decodeURIComponent(extended));
      if (name) return name;
    } catch {
      // A malformed escape: fall through to the plain parameter.
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(disposition)?.[1];
  const plain = quoted === undefined ? /filename\s*=\s*([^;\s"]+)/i.exec(disposition)?.[1] : quoted.replace(/\\(.)/g, '$1');
  return (plain && baseName(plain)) || fallback;
}

/**
 * Downloads an API answer as a file. A plain link cannot send the bearer token, so the answer is
 * fetched with it and handed to the browser as a Blob under the server's file name.
 */
export async function download(path: string, fallback: string): Promise<string> {
  const response = await call('GET', path);
  const name = filenameFrom(response.headers.get('content-disposition'), fallback);
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has started the download; the browser keeps its own copy of the data.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  return name;
}
