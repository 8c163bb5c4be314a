/**
 * Another process on a studio's data dir, for the concurrency tests (run with `node --import tsx`):
 *   migrate T0 DIR...                opens DIR number i at T0 + 100 i ms (epoch), which migrates it
 *   rate DIR SESSION RATER N         N ratings through the real handlers, as a second server would
 * Prints one JSON line: how many calls failed, and the first failure.
 */
import { databasePath, openDatabase } from '../../db/open.ts';
import { dispatch } from '../../electron/core/api/dispatch.ts';
import type { SessionItem } from '../../electron/core/api/types.ts';
import { openStudio } from '../../electron/core/studio.ts';
import { DEFAULT_BUNDLE } from './bundles.ts';

const [mode, dir, ...rest] = process.argv.slice(2);
const failures: string[] = [];
if (mode === 'migrate') {
  const t0 = Number(dir);
  for (const [i, d] of rest.entries()) {
    const wait = t0 + 100 * i - Date.now(); // every process opens the same dir at the same moment
    if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
    try {
      openDatabase(databasePath(d)).close();
    } catch (err) {
      failures.push(`${d}: ${err}`);
    }
  }
} else if (mode === 'rate') {
  const [sessionId, rater, n] = [Number(rest[0]), rest[1], Number(rest[2])];
  const studio = openStudio({ dataDir: dir, model: DEFAULT_BUNDLE });
  for (let i = 0; i < n; i++) {
    const item = await dispatch(studio.handlers, 'sessions.item', { sessionId, rater, position: i % 3 });
    if (!item.ok) {
      failures.push(item.error);
      continue;
    }
    const r = await dispatch(studio.handlers, 'ratings.set', {
      sessionId,
      rater,
      candidateId: (item.value as SessionItem).candidates[0].id,
      value: 1 + (i % 5),
    });
    if (!r.ok) failures.push(r.error);
  }
  await studio.close();
}
console.log(JSON.stringify({ failures: failures.length, first: failures[0] ?? null }));
