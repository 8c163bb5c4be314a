#!/usr/bin/env node
// The CLI runs the TypeScript core directly through tsx's loader: no build step between the
// source and what users run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
