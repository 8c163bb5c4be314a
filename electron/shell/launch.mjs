// `npm start`: bundles the shell (main + sandboxed preload) with esbuild, builds the UI and starts
// Electron. Where Electron's binary is not installed (its download failed or was skipped), it says
// so and points to the browser mode, which needs no Electron.
// `--bundle-only`: just write electron/shell/dist/ (for packaging with build/electron-builder.yml).
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { electronBinary } from './electron-binary.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bundleOnly = process.argv.includes('--bundle-only');

function electron() {
  const binary = electronBinary();
  if (binary) return binary;
  console.error(
    'Electron is not installed on this machine.\n' +
      'Run the studio in your browser instead:  npx caption-studio serve\n' +
      "or install Electron's binary:           node node_modules/electron/install.js",
  );
  process.exit(1);
}

const electronPath = bundleOnly ? null : electron();
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['electron', 'better-sqlite3', 'onnxruntime-node', 'sharp', '@huggingface/tokenizers'],
};
// ES modules that may still require() the native packages
const esm = {
  ...common,
  format: 'esm',
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
};
await build({ ...esm, entryPoints: [join(here, 'main.ts')], outfile: join(here, 'dist', 'main.mjs') });
// Worker threads: each `NAME-boot.mjs` under electron/core starts its worker from TypeScript source
// (`await import('./X.ts')`); the bundle of X goes beside main.mjs under the boot file's name, so the
// core's `new URL('./NAME-boot.mjs', import.meta.url)` finds it there too. Found, not listed: a new
// worker cannot be left out of the desktop app.
const core = join(here, '../core');
const boots = readdirSync(core, { recursive: true }).filter((f) => basename(f).endsWith('-boot.mjs'));
for (const boot of boots) {
  const target = readFileSync(join(core, boot), 'utf8').match(/await import\('(\.\/[^']+\.ts)'\)/);
  if (!target) throw new Error(`${boot}: no await import('./….ts') to bundle`);
  if (boots.filter((b) => basename(b) === basename(boot)).length > 1)
    throw new Error(`${basename(boot)}: two workers' boot files share the name`);
  const entry = join(core, dirname(boot), target[1]);
  await build({ ...esm, entryPoints: [entry], outfile: join(here, 'dist', basename(boot)) });
}
await build({
  ...common,
  entryPoints: [join(here, 'preload.ts')],
  outfile: join(here, 'dist', 'preload.cjs'),
  format: 'cjs',
});
// db/migrate.ts reads its SQL files from beside the code that runs it
cpSync(join(here, '../../db/migrations'), join(here, 'dist', 'migrations'), { recursive: true });
if (!bundleOnly) {
  spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  const r = spawnSync(electronPath, [join(here, 'dist', 'main.mjs')], { stdio: 'inherit' });
  process.exit(r.status ?? 0);
}
