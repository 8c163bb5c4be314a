/**
 * `serve --exports-dir`: where the served mode may write exports. Named: there only (printed at
 * start, and an export elsewhere is 403); not named on localhost: anywhere the owner names; not
 * named on another interface: DATA_DIR/exports, made private.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures/images.ts';
import { servedExportsDir } from './commands.ts';

const BIN = join(import.meta.dirname, '../../bin/caption-studio.mjs');
let child: ChildProcess | undefined;
afterAll(() => child?.kill('SIGTERM'));

describe('serve --exports-dir', () => {
  it('on localhost, none unless named; on another interface, the data folder’s exports, mode 0700', () => {
    const data = tempDir('cs-serve-data-');
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      expect(servedExportsDir(undefined, host, data), host).toBeUndefined();
    for (const host of ['0.0.0.0', '::', '192.168.1.5']) {
      const dir = servedExportsDir(undefined, host, data);
      expect(dir, host).toBe(realpathSync(join(data, 'exports')));
      expect(statSync(dir!).mode & 0o777).toBe(0o700);
    }
    const named = join(tempDir('cs-serve-x-'), 'new', 'exports');
    expect(servedExportsDir(named, '127.0.0.1', data)).toBe(named);
    expect(existsSync(named)).toBe(true);
  });

  it('the real command prints the folder, and an export outside it is 403, one inside is not', async () => {
    const data = tempDir('cs-serve-data-');
    const exportsDir = realpathSync(tempDir('cs-serve-exports-'));
    child = spawn(process.execPath, [BIN, 'serve', '--data-dir', data, '--exports-dir', exportsDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<URL>((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        out += d;
        const m = /is at (\S+)\n[\s\S]*Exports are written into (.+) only\n/.exec(out);
        if (m) resolve(new URL(m[1]));
      });
      child!.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    expect(out).toContain(`Exports are written into ${exportsDir} only`);
    const post = async (body: object) =>
      (
        await fetch(`${url.origin}/api/export.preview`, {
          method: 'POST',
          headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
          body: JSON.stringify(body),
        })
      ).status;
    expect(await post({ format: 'csv', out: join(data, 'x.csv') })).toBe(403);
    expect(await post({ format: 'csv', out: 'x.csv' })).not.toBe(403);
  }, 60_000);
});
