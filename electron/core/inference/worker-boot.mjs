// Starts the inference worker from TypeScript source through tsx's loader, as bin/caption-studio.mjs
// does for the main thread (loader hooks are per thread). The packaged app bundles worker.ts instead.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
