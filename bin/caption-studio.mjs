#!/usr/bin/env node
// The CLI runs the TypeScript core directly through tsx's loader: no build step between the
// source and what users run.
import { register } from 'tsx/esm/api';

register();
// `caption-studio … | head -1`: the reader has gone, so stop quietly instead of a stack trace
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
