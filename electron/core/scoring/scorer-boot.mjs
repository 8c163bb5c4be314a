// Starts the scorer's worker thread from TypeScript source through tsx's loader, as the inference
// worker does (loader hooks are per thread). The packaged app bundles worker.ts under this name.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
