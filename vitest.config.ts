import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'electron/**/*.test.ts',
      'db/**/*.test.ts',
      'e2e/**/*.test.ts',
      'bench/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['test/fixtures/fixtures-setup.ts', 'test/fixtures/clip-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits on a page or a worker: 1 s (vitest's default) is too short on a loaded machine
    // (a full suite once failed so when other work shared its 2 cores); a real failure still fails
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    // 2 cores: ONNX sessions and Chromium each want one
    maxWorkers: 2,
  },
});
