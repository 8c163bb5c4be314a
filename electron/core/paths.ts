/**
 * Paths as people type them, and the studio's private files: the data folder holds captions, paths
 * of the user's photos and the database of rater links, so other local users may not read it.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

/** `~` (alone or leading `~/`) is the home folder; the rest is resolved. */
export const userPath = (p: string): string => resolve(p.replace(/^~(?=$|\/)/, homedir()));

/** Owner only: folders rwx------, files rw-------. */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/**
 * Narrows `path`'s permissions to `mode` if they are wider (never widens them). A path owned by
 * another user is left as it is (chmod would fail; it is not the studio's to change). No-op on
 * Windows, where modes do not apply.
 */
export function tighten(path: string, mode: number): void {
  if (process.platform === 'win32') return;
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st || (process.getuid && st.uid !== process.getuid())) return;
  if ((st.mode & 0o777 & ~mode) !== 0) chmodSync(path, st.mode & mode & 0o777);
}

/** Creates `dir` (and its parents) 0700, or narrows an existing one to 0700. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  tighten(dir, PRIVATE_DIR);
}

/** Creates `file` empty 0600 if it does not exist, or narrows an existing one to 0600. */
export function privateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE));
  tighten(file, PRIVATE_FILE);
}

/** Writes `data` to `file`, the file 0600 from its creation on (a token or address file). */
export function writePrivateFile(file: string, data: string | Buffer): void {
  privateFile(file);
  writeFileSync(file, data, { mode: PRIVATE_FILE });
}
