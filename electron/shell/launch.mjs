// `npm start`: the desktop app. Where Electron's binary is not installed (its download failed or
// was skipped), say so and point to the browser mode, which needs no Electron.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let electron;
try {
  electron = createRequire(import.meta.url)('electron');
} catch (err) {
  console.error(
    `Electron is not installed on this machine (${String(err.message).split('\n')[0]}).\n` +
      'Run the studio in your browser instead:  npx caption-studio serve\n' +
      "or install Electron's binary:           node node_modules/electron/install.js",
  );
  process.exit(1);
}
const { build } = await import('esbuild');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['electron', 'better-sqlite3', 'onnxruntime-node', 'sharp', '@huggingface/tokenizers'],
};
await build({
  ...common,
  entryPoints: [join(here, 'main.ts')],
  outfile: join(here, 'dist', 'main.mjs'),
  format: 'esm',
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
await build({
  ...common,
  entryPoints: [join(here, 'preload.ts')],
  outfile: join(here, 'dist', 'preload.cjs'),
  format: 'cjs',
});
spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
const r = spawnSync(electron, [join(here, 'dist', 'main.mjs')], { stdio: 'inherit' });
process.exit(r.status ?? 0);
