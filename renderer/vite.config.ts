import { defineConfig } from 'vite';

// The renderer is a plain browser app: no Node built-ins resolve here (see tsconfig.json).
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  oxc: { jsx: { runtime: 'automatic' } },
});
