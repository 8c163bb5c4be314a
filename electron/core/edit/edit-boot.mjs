// Starts the bulk edit's worker from TypeScript source through tsx's loader, as the export planner
// does (loader hooks are per thread).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
