// Starts the export planner's worker from TypeScript source through tsx's loader, as the
// inference worker does (loader hooks are per thread).
import { register } from 'tsx/esm/api';

register();
await import('./planner-worker.ts');
