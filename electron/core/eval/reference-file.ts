/**
 * Reading a reference file safely: only a regular file (a FIFO, a device or a folder is refused
 * at once, without waiting for a writer or reading endless bytes), within `MAX_REFERENCE_BYTES`,
 * read as a stream; errors name the file and never quote its content. Parsing: COCO captions JSON
 * (`images`, `annotations`) or plain `image<TAB>caption` lines. No database here: the reading and
 * parsing run in a worker thread (references-worker.ts).
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** The largest reference file read: COCO 2017's caption files are ~25 MB, so 256 MB leaves
 * room while bounding what an import holds in memory (the text, then its parse). */
export const MAX_REFERENCE_BYTES = 256 * 1024 * 1024;

export interface ReferenceRow {
  key: string;
  caption: string;
}

const cannotRead = (file: string, why: string) => new Error(`${file}: cannot read (${why})`);

function kind(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}) {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens `file` for reading if it is a regular file within the size limit. O_NONBLOCK: opening a
 * FIFO would otherwise wait for a writer (holding a thread of libuv's pool); the check is made on
 * the opened descriptor, so what is read is what was checked.
 */
export async function openReference(file: string, limit = MAX_REFERENCE_BYTES): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannotRead(file, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw cannotRead(file, `${kind(st)}: a reference file must be a regular file`);
    if (st.size > limit) throw tooLarge(file, limit);
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

const tooLarge = (file: string, limit: number) =>
  cannotRead(file, `larger than ${limit / 2 ** 20} MB, the most a reference file may have`);

/** The file's text, read in chunks, never more than `limit` bytes (it may grow while read). */
export async function readReference(file: string, limit = MAX_REFERENCE_BYTES): Promise<string> {
  const fh = await openReference(file, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of fh.createReadStream({ autoClose: false })) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge(file, limit);
      chunks.push(chunk as Buffer);
    }
  } finally {
    await fh.close();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The (image key, caption) pairs a reference file holds; errors say where, never what. */
export function parseReferences(file: string, text: string): ReferenceRow[] {
  if (file.toLowerCase().endsWith('.json')) {
    let data: { images?: unknown; annotations?: unknown };
    try {
      data = JSON.parse(text);
    } catch {
      // the parser's message quotes the text: say only that it is not JSON
      throw new Error(`${file}: invalid JSON (not a COCO captions file)`);
    }
    if (!Array.isArray(data?.images)) throw new Error(`${file}: field 'images' must be an array`);
    if (!Array.isArray(data.annotations)) throw new Error(`${file}: field 'annotations' must be an array`);
    const names = new Map<unknown, string>();
    data.images.forEach((im: { id?: unknown; file_name?: unknown }, i: number) => {
      if (typeof im?.file_name !== 'string')
        throw new Error(`${file}: images[${i}].file_name must be a string`);
      names.set(im.id, im.file_name);
    });
    return data.annotations.map((a: { image_id?: unknown; caption?: unknown }, i: number) => {
      const name = names.get(a?.image_id);
      if (name === undefined)
        throw new Error(`${file}: annotations[${i}].image_id ${idText(a?.image_id)} is not in images`);
      if (typeof a.caption !== 'string')
        throw new Error(`${file}: annotations[${i}].caption must be a string`);
      return { key: name, caption: a.caption };
    });
  }
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() && !line.startsWith('#'))
    .map(({ line, i }) => {
      const tab = line.indexOf('\t');
      if (tab <= 0) throw new Error(`${file}: line ${i + 1}: expected image<TAB>caption`);
      return { key: line.slice(0, tab).trim(), caption: line.slice(tab + 1).trim() };
    });
}

/** An id as an error shows it: a number, or only what type it is. */
const idText = (v: unknown) => (typeof v === 'number' ? String(v) : `(a ${v === null ? 'null' : typeof v})`);
