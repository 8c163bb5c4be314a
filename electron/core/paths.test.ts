/**
 * The data folder is its user's alone: created 0700 with the database 0600 (and SQLite's -wal and
 * -shm beside it), and a folder or database left readable by an older version narrowed on open.
 */
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../db/open.ts';
import { tempDir } from '../../test/fixtures/images.ts';
import { tighten, writePrivateFile } from './paths.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

describe.skipIf(process.platform === 'win32')('private data', () => {
  it('a new data folder is 0700, its database and WAL files 0600, whatever the umask', () => {
    const old = process.umask(0o022);
    try {
      const data = join(tempDir('cs-perm-'), 'nested', 'data');
      const db = openDatabase(databasePath(data));
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)'); // the WAL files now exist
      expect(mode(data)).toBe(0o700);
      for (const f of ['', '-wal', '-shm']) expect(mode(`${databasePath(data)}${f}`), f).toBe(0o600);
      db.close();
    } finally {
      process.umask(old);
    }
  });

  it('an existing folder and database readable by others are narrowed on open', () => {
    const data = tempDir('cs-perm-old-');
    openDatabase(databasePath(data)).close();
    chmodSync(data, 0o755);
    chmodSync(databasePath(data), 0o644);
    writeFileSync(`${databasePath(data)}-wal`, '');
    chmodSync(`${databasePath(data)}-wal`, 0o666);
    openDatabase(databasePath(data)).close();
    expect(mode(data)).toBe(0o700);
    expect(mode(databasePath(data))).toBe(0o600);
    // narrowing never widens: a stricter mode stays
    chmodSync(databasePath(data), 0o400);
    tighten(databasePath(data), 0o600);
    expect(mode(databasePath(data))).toBe(0o400);
  });

  it('files written with writePrivateFile are 0600 from their creation', () => {
    const dir = tempDir('cs-perm-file-');
    mkdirSync(dir, { recursive: true });
    const f = join(dir, 'serve.json');
    writePrivateFile(f, '{}');
    expect(mode(f)).toBe(0o600);
  });
});
