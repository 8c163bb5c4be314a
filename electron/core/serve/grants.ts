/**
 * Media grants: what an `<img>` or an `EventSource` (neither can send an `Authorization` header)
 * carries in its URL instead of the long-lived token. A grant is the caller's token and an expiry
 * sealed with AES-256-GCM under a key that lives only in this process: it cannot be read, altered
 * or forged, lapses after GRANT_MS, and dies with a server restart; the token inside is checked
 * again on every use, so a revoked rater link's grants die with it. No state is kept per grant.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** How long a grant lasts; the page asks for a new one at half that. */
export const GRANT_MS = 15 * 60_000;
const AAD = Buffer.from('caption-studio media grant');

export interface Grants {
  /** a grant for this token, and how long it lasts */
  issue(token: string): { grant: string; expiresInMs: number };
  /** the token a grant was made for, while it lasts; else undefined */
  open(grant: string): string | undefined;
}

export function grants(now: () => number = Date.now): Grants {
  const key = randomBytes(32);
  return {
    issue(token) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(AAD);
      const expiry = Buffer.alloc(8);
      expiry.writeDoubleBE(now() + GRANT_MS);
      const sealed = Buffer.concat([
        cipher.update(Buffer.concat([expiry, Buffer.from(token)])),
        cipher.final(),
      ]);
      return {
        grant: Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url'),
        expiresInMs: GRANT_MS,
      };
    },
    open(grant) {
      if (!/^[\w-]{40,600}$/.test(grant)) return undefined;
      const b = Buffer.from(grant, 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12)).setAAD(AAD);
        decipher.setAuthTag(b.subarray(12, 28));
        const plain = Buffer.concat([decipher.update(b.subarray(28)), decipher.final()]);
        if (plain.length < 8 || plain.readDoubleBE(0) < now()) return undefined;
        return plain.subarray(8).toString();
      } catch {
        return undefined; // altered, or made by another process
      }
    },
  };
}
