// `npm start`: bundles the shell (main + sandboxed preload) with esbuild, builds the UI and starts
// Electron. Where Electron's binary is not installed (its download failed or was skipped), it says
// so and points to the browser mode, which needs no Electron.
// `--bundle-only`: just write electron/shell/dist/ (for packaging with build/electron-builder.yml).
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
// the inference worker thread (electron/core/inference/worker.ts), loaded by main.mjs from beside it
await build({
  ...esm,
  entryPoints: [join(here, '../core/inference/worker.ts')],
  outfile: join(here, 'dist', 'inference-worker.mjs'),
});
// one-shot workers (electron/core/threads.ts): each bundled under the name its boot file has in the
// source tree, so `new URL('./NAME-boot.mjs', import.meta.url)` in main.mjs finds it beside
for (const [name, source] of [
  ['references', '../core/eval/references-worker.ts'],
  ['planner', '../core/export/planner-worker.ts'],
  ['scorer', '../core/scoring/worker.ts'],
])
  await build({ ...esm, entryPoints: [join(here, source)], outfile: join(here, 'dist', `${name}-boot.mjs`) });
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
