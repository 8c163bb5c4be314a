/**
 * The decoding settings are described once (`DECODING_SETTINGS`): the request schema enforces the
 * ranges described, README's table says what the list says, and the reference implementation's
 * `GenerationConfig` uses the same names.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DECODING_KEYS,
  DecodingOptions,
  settingOf,
  settingRange,
  settingValue,
} from '../core/api/decoding.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('decoding settings, described once', () => {
  it("README's decoding table lists every setting, in order, with the contract's flag, range and help", () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    // a row's cells as written, without the padding a Markdown formatter aligns columns with
    const rows = readme
      .split('\n')
      .filter((l) => /^\| `--/.test(l))
      .map((l) => l.replace(/ {2,}\|/g, ' |'));
    const expected = DECODING_KEYS.map((k) => {
      const s = settingOf(k);
      // a `|` inside a table cell is written `\|`
      const flag = `--${s.flag} ${settingValue(s)}`.replaceAll('|', '\\|');
      return `| \`${flag}\` | \`${k}\` | ${settingRange(s)} | ${s.help} |`;
    });
    expect(rows).toEqual(expected);
  });

  it("Python's GenerationConfig (the reference implementation) has every setting under the same name", () => {
    const py = readFileSync(resolve(ROOT, 'models/captioner/model/generation.py'), 'utf8');
    const body = /@dataclass\nclass GenerationConfig:\n((?: {4}.*\n|\s*\n)+)/.exec(py)?.[1];
    expect(body, 'GenerationConfig found').toBeDefined();
    const fields = [...body!.matchAll(/^ {4}(\w+): /gm)].map((m) => m[1]);
    // besides the decoding settings, only the special tokens a model's config names
    expect(fields.filter((f) => !f.endsWith('_token_id')).sort()).toEqual([...DECODING_KEYS].sort());
  });

  it('the request schema takes the ends of each range described and refuses what is past them', () => {
    for (const key of DECODING_KEYS) {
      const s = settingOf(key);
      const ok = (v: unknown) => DecodingOptions.safeParse({ [key]: v }).success;
      if (s.kind === 'stopping') {
        expect([true, false, 'never'].every(ok), key).toBe(true);
        expect(ok('always'), key).toBe(false);
        continue;
      }
      expect(ok(s.max), key).toBe(true);
      expect(ok(s.max + 1), key).toBe(false);
      if (s.kind === 'float' && s.above) {
        expect(ok(s.min), key).toBe(false);
        expect(ok(s.min + 0.01), key).toBe(true);
      } else {
        expect(ok(s.min), key).toBe(true);
        expect(ok(s.min - 1), key).toBe(false);
      }
      expect(ok(s.min + 0.5), key).toBe(s.kind === 'float');
    }
  });
});
