/**
 * Reading an image file for captioning: its bytes and their SHA-256, the image's identity. The
 * hash is computed chunk by chunk as the file streams in, so a large photo never holds the event
 * loop for the whole file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export class FileReadError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`${file}: cannot read file (${code})`);
  }
}

export async function readAndHash(file: string): Promise<{ bytes: Buffer; hash: string }> {
  const h = createHash('sha256');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw new FileReadError(file, String((err as NodeJS.ErrnoException).code ?? err));
  }
  return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), hash: h.digest('hex') };
}
