/**
 * `caption-studio edit` as users run it: a real child process on a real database file holding a
 * seeded library (the captions as the studio stores them).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../db/open.ts';
import { CURRENT_CAPTION_ID } from '../../db/queries/runs.ts';
import { seedCaptions } from '../../test/fixtures/captions.ts';
import { tempDir } from '../../test/fixtures/images.ts';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
let data: string;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'edit', '--data-dir', data, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every current caption, by file path (read as the library reads them). */
function captions(): string[] {
  const db = openDatabase(databasePath(data));
  try {
    return db
      .prepare(
        `SELECT (SELECT text FROM caption_candidates WHERE id = ${CURRENT_CAPTION_ID('f.image_id')}) AS t
         FROM files f ORDER BY f.path`,
      )
      .all()
      .map((r) => (r as { t: string }).t);
  } finally {
    db.close();
  }
}

beforeAll(() => {
  data = tempDir('cs-cli-edit-');
  const db = openDatabase(databasePath(data));
  seedCaptions(db, '/photos', 30);
  seedCaptions(db, '/other', 6);
  db.close();
});

describe('caption-studio edit', () => {
  it('previews with --dry-run, applies the same count as one step, undoes and redoes it', () => {
    const before = captions();
    const dry = cli([
      '--find',
      '(two|three) (dog|cat)s',
      '--replace',
      '$2s, $1 of them',
      '--regex',
      '--dry-run',
    ]);
    expect(dry.err).toBe('');
    // the count, worked out here from the captions themselves
    const n = before.filter((t) => /(two|three) (dog|cat)s/u.test(t)).length;
    expect(n).toBeGreaterThan(0);
    expect(dry.out).toMatch(new RegExp(`^Would change ${n} of 36 captions\\n`));
    expect(dry.out).toContain(
      '    - two dogs on the grass, photo 1\n    + dogs, two of them on the grass, photo 1\n',
    );
    expect(captions()).toEqual(before); // a dry run changes nothing

    const run = cli(['--find', '(two|three) (dog|cat)s', '--replace', '$2s, $1 of them', '--regex']);
    expect(run.out).toMatch(
      new RegExp(`^Changed ${n} of 36 captions: edit 1 \\(replace .*, ${n} captions\\)`),
    );
    const after = captions();
    expect(after).toEqual(before.map((t) => t.replace(/(two|three) (dog|cat)s/gu, '$2s, $1 of them')));

    expect(cli(['--undo']).out).toMatch(/^Undid edit 1 /);
    expect(captions()).toEqual(before);
    expect(cli(['--redo']).out).toMatch(/^Redid edit 1 /);
    expect(captions()).toEqual(after);
    expect(cli(['--redo']).out).toBe('Nothing to redo\n');
    expect(cli(['--history']).out).toMatch(/^applied edit 1 \(replace/);
  });

  it('--folder limits the edit to one library folder; --prepend adds a trigger word once', () => {
    const r = cli(['--prepend', 'ohwx', '--folder', '/other']);
    expect(r.out).toMatch(/^Changed 6 of 6 captions/);
    expect(cli(['--prepend', 'ohwx', '--folder', '/other']).out).toMatch(/^Changed 0 of 6 captions/);
    expect(captions().filter((t) => t.startsWith('ohwx, '))).toHaveLength(6);
  });

  it('bad usage is one line naming the flag and --help', () => {
    const cases: [string[], RegExp][] = [
      [[], /name an operation: --find with --replace/],
      [['--find', 'x'], /--find needs --replace/],
      [['--find', '(', '--replace', 'y', '--regex'], /--find: not a valid regular expression/],
      [['--case', 'shouty'], /--case: expected one of lower, upper, sentence, title/],
      [['--trim', '--folder', '/nowhere'], /--folder: \/nowhere is not a folder of the library/],
      [['--undo', '--redo'], /one of --undo, --redo/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')).toHaveLength(2); // one line and its newline
      expect(r.err).toMatch(message);
      expect(r.err).toContain('(see caption-studio edit --help)');
    }
  });
});
