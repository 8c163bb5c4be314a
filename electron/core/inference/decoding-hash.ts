import { createHash } from 'node:crypto';
import { canonicalJson, type Decoding } from './decoding.ts';

/** sha256 of the canonical JSON: the identity of a decoding configuration in the database. */
export function decodingHash(d: Decoding): string {
  return createHash('sha256').update(canonicalJson(d)).digest('hex');
}
