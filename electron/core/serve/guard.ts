/**
 * What every served request passes before anything else, and the headers every answer carries.
 * DNS rebinding: a page at evil.example whose name is made to resolve to 127.0.0.1 reaches this
 * server, but its requests carry `Host: evil.example:PORT`; so only the address served (and, when
 * that is loopback, its localhost forms) is answered. A web page's scripts send their own `Origin`:
 * one that is not this server's is refused.
 */
import { isIP } from 'node:net';

/** `Host` as browsers send it: a name or IPv4, or an IPv6 in brackets, then an optional port. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;
const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);
const LOCAL_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

const bracket = (host: string) => (isIP(host) === 6 ? `[${host}]` : host.toLowerCase());

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * Which `Host` values name this server, served at `host:port`: that address; with a loopback one
 * its localhost forms too; bound to every interface (0.0.0.0, ::), any IP address and localhost (a
 * name other than localhost is what DNS rebinding sends).
 */
export function hostRule(host: string, port: number): (value: string | undefined) => boolean {
  const names = new Set([bracket(host), ...(isLoopback(host) ? LOCAL_NAMES : [])]);
  const any = WILDCARD.has(host);
  return (value) => {
    const m = HOST.exec((value ?? '').toLowerCase());
    if (!m || Number(m[2] ?? 80) !== port) return false;
    const name = m[1];
    if (names.has(name)) return true;
    return any && (name === 'localhost' || isIP(name.replace(/^\[|\]$/g, '')) !== 0);
  };
}

/** Why a request is refused before it is read (status and message), or undefined to go on. */
export function refusal(
  hostOk: (value: string | undefined) => boolean,
  headers: { host?: string; origin?: string },
): { status: 421 | 403; error: string } | undefined {
  if (!hostOk(headers.host))
    return { status: 421, error: `this server does not answer for host '${headers.host ?? ''}'` };
  // browsers send Origin on every state-changing request and on cross-origin reads; a CLI may send none
  if (headers.origin === undefined) return undefined;
  let origin: URL | undefined;
  try {
    origin = new URL(headers.origin);
  } catch {}
  if (origin?.protocol !== 'http:' || !hostOk(origin.host))
    return { status: 403, error: `requests from origin '${headers.origin}' are refused` };
  return undefined;
}

/** The headers on every answer: no sniffing, framing, referrers, cross-origin embedding or caching. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    'cache-control': 'no-store',
  };
}
