// Starts the review queue's worker from TypeScript source through tsx's loader, as the bulk edit's
// worker does (loader hooks are per thread).
import { register } from 'tsx/esm/api';

register();
await import('./review-worker.ts');
