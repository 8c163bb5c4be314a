/** Paths as people type them: `~` (alone or leading `~/`) is their home folder; the rest is resolved. */
import { homedir } from 'node:os';
import { resolve } from 'node:path';

export const userPath = (p: string): string => resolve(p.replace(/^~(?=$|\/)/, homedir()));
