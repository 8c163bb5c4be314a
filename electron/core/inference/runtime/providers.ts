/**
 * Execution providers: pick from what onnxruntime-node offers on this platform, GPU first, and
 * fall back to CPU with the reason kept, so the UI can show it and every caption run records it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export const PROVIDERS = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface ProviderChoice {
  provider: Provider;
  /** why GPU providers were passed over; empty when the first choice worked */
  notes: string[];
}

export function candidateProviders(platform = process.platform, prefer?: Provider): Provider[] {
  const byPlatform: Record<string, Provider[]> = {
    linux: ['cuda', 'cpu'],
    win32: ['dml', 'cpu'],
    darwin: ['coreml', 'cpu'],
  };
  const list = byPlatform[platform] ?? ['cpu'];
  if (!prefer) return list;
  return [prefer, ...list.filter((p) => p !== prefer)];
}

/** Reasons a provider cannot work here before trying a session, or null if worth trying. */
export function providerUnavailable(p: Provider): string | null {
  if (p === 'cpu') return null;
  const supported = ort.listSupportedBackends().find((b) => b.name === p);
  if (!supported) return `${p}: not built into this onnxruntime-node for ${process.platform}-${process.arch}`;
  if (p === 'cuda') {
    const require = createRequire(import.meta.url);
    const bindingDir = join(
      dirname(require.resolve('onnxruntime-node/package.json')),
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    if (!existsSync(join(bindingDir, 'libonnxruntime_providers_cuda.so'))) {
      return 'cuda: CUDA provider libraries not installed (onnxruntime-node-install=skip; see README "GPU (CUDA)")';
    }
  }
  return null;
}

/**
 * Creates a session on the first provider that works, CPU last. `create` gets the provider list
 * to pass to onnxruntime; failures are kept as notes.
 */
export async function withProvider<T>(
  candidates: Provider[],
  create: (providers: string[]) => Promise<T>,
): Promise<{ value: T; choice: ProviderChoice }> {
  const notes: string[] = [];
  for (const p of candidates) {
    const reason = providerUnavailable(p);
    if (reason) {
      notes.push(reason);
      continue;
    }
    try {
      const value = await create(p === 'cpu' ? ['cpu'] : [p, 'cpu']);
      return { value, choice: { provider: p, notes } };
    } catch (err) {
      if (p === 'cpu') throw err;
      notes.push(`${p}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  throw new Error(`no execution provider worked: ${notes.join('; ')}`);
}
