/**
 * The built UI's files and the content security policy they are served with, for the HTTP server
 * and the desktop app's `app:` protocol alike.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

/** Strict: the UI's own scripts and styles, images from itself (plus `extraImgSrc`), no framing. */
export function contentSecurityPolicy(extraImgSrc = ''): string {
  return [
    "default-src 'self'",
    `img-src 'self' blob: data:${extraImgSrc ? ` ${extraImgSrc}` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    // not covered by default-src: no <base> to redirect relative URLs, forms post only here
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** A file of the built UI by URL path, never one outside it; null when there is none. */
export async function readPage(
  rendererDir: string,
  urlPath: string,
): Promise<{ bytes: Buffer; type: string } | null> {
  const file = urlPath === '/' || urlPath === '' ? 'index.html' : normalize(urlPath).replace(/^[/\\]+/, '');
  if (file.split(/[/\\]/).includes('..')) return null;
  try {
    return {
      bytes: await readFile(join(rendererDir, file)),
      type: TYPES[extname(file)] ?? 'application/octet-stream',
    };
  } catch {
    return null;
  }
}
