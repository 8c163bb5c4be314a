/** Broken bundles and unsupported images fail with errors that name the file. */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { bmpFile, tempDir } from '../../../test/fixtures/images.ts';
import { BundleError, loadBundle } from './bundle.ts';
import { preprocessImage } from './preprocess.ts';

function copyBundle(): string {
  const dir = join(tempDir('cs-bundle-'), 'model');
  cpSync(DEFAULT_BUNDLE, dir, {
    recursive: true,
    filter: (src) => !src.includes('parity') && !src.endsWith('.pt'),
  });
  return dir;
}

describe('model bundle errors', () => {
  it('a missing folder or file is named', async () => {
    await expect(loadBundle('/no/such/bundle')).rejects.toThrow(
      '/no/such/bundle: model bundle folder not found',
    );
    for (const f of ['config.json', 'preprocessor_config.json', 'tokenizer.json']) {
      const dir = copyBundle();
      rmSync(join(dir, f));
      await expect(loadBundle(dir)).rejects.toThrow(`${join(dir, f)}: missing`);
    }
    const dir = copyBundle();
    rmSync(join(dir, 'encoder_model.onnx'));
    await expect(loadBundle(dir)).rejects.toThrow(`${join(dir, 'encoder_model.onnx')}: missing`);
    const noDec = copyBundle();
    for (const f of ['decoder_model.onnx', 'decoder_model_merged.onnx']) rmSync(join(noDec, f));
    await expect(loadBundle(noDec)).rejects.toThrow(`${join(noDec, 'decoder_model.onnx')}: missing`);
  });

  it('a corrupt ONNX file is named', async () => {
    const dir = copyBundle();
    const enc = join(dir, 'encoder_model.onnx');
    writeFileSync(enc, readFileSync(enc).subarray(0, 5000));
    await expect(loadBundle(dir)).rejects.toThrow(BundleError);
    await expect(loadBundle(dir)).rejects.toThrow(`${enc}: cannot load ONNX model`);
    const dec = copyBundle();
    writeFileSync(join(dec, 'decoder_model_merged.onnx'), 'not onnx at all');
    await expect(loadBundle(dec)).rejects.toThrow(
      `${join(dec, 'decoder_model_merged.onnx')}: cannot load ONNX model`,
    );
  });

  it('invalid JSON and invalid fields are named', async () => {
    const dir = copyBundle();
    writeFileSync(join(dir, 'config.json'), '{ not json');
    await expect(loadBundle(dir)).rejects.toThrow(`${join(dir, 'config.json')}: invalid JSON`);
    const pre = copyBundle();
    const p = JSON.parse(readFileSync(join(pre, 'preprocessor_config.json'), 'utf8'));
    writeFileSync(join(pre, 'preprocessor_config.json'), JSON.stringify({ ...p, image_mean: [0.5] }));
    await expect(loadBundle(pre)).rejects.toThrow(
      `${join(pre, 'preprocessor_config.json')}: field 'image_mean'`,
    );
  });

  it('mismatched shapes are named', async () => {
    const dir = copyBundle();
    const p = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8'));
    writeFileSync(
      join(dir, 'preprocessor_config.json'),
      JSON.stringify({ ...p, size: { height: 64, width: 64 } }),
    );
    await expect(loadBundle(dir)).rejects.toThrow(
      `${join(dir, 'encoder_model.onnx')}: expects 96x96 images but preprocessor_config.json resizes to 64x64`,
    );
  });

  it('loads the Optimum / transformers.js layout: ONNX files in onnx/, merged decoder only', async () => {
    const dir = copyBundle();
    mkdirSync(join(dir, 'onnx'));
    for (const f of ['encoder_model.onnx', 'decoder_model_merged.onnx'])
      cpSync(join(dir, f), join(dir, 'onnx', f));
    for (const f of [
      'encoder_model.onnx',
      'decoder_model.onnx',
      'decoder_with_past_model.onnx',
      'decoder_model_merged.onnx',
    ]) {
      rmSync(join(dir, f));
    }
    const b = await loadBundle(dir);
    expect(b.decoder.files.map((f) => f.slice(dir.length))).toEqual([
      '/onnx/encoder_model.onnx',
      '/onnx/decoder_model_merged.onnx',
    ]);
    expect(b.decoder.firstTakesPast).toBe(true);
    await b.dispose();
  });
});

describe('image preprocessing', () => {
  const cfg = {
    do_resize: true,
    size: { height: 4, width: 4 },
    resample: 2,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    do_convert_rgb: true,
  };

  it('applies EXIF orientation before resizing', async () => {
    // 2x4 image, left half red, right half blue; EXIF 6 = rotate 90 degrees clockwise to display
    const raw = Buffer.alloc(2 * 4 * 3);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    }
    const jpg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const d = await preprocessImage('rot.png', jpg, { ...cfg, size: { height: 4, width: 2 } });
    expect([d.width, d.height]).toEqual([2, 4]); // displayed size
    // after rotation the red half is on top: pixel (0,0) red, pixel (3,0) blue
    const R = (y: number, x: number) => d.pixels[0 * 8 + y * 2 + x];
    const B = (y: number, x: number) => d.pixels[2 * 8 + y * 2 + x];
    // not a numeric tolerance: which colour is where (red 1.0, blue -1.0 after normalising)
    expect(R(0, 0)).toBeGreaterThan(0.9);
    expect(B(3, 0)).toBeGreaterThan(0.9);
  });

  it('decodes BMP (through bmp-ts) to the same pixels as the PNG of the same picture', async () => {
    const w = 5;
    const h = 3; // odd width: padded rows
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    const size = { ...cfg, size: { height: h, width: w }, do_resize: false };
    const fromBmp = await preprocessImage('x.bmp', bmpFile(rgb, w, h), size);
    const fromPng = await preprocessImage('x.png', png, size);
    expect(fromBmp.format).toBe('bmp');
    expect([fromBmp.width, fromBmp.height]).toEqual([w, h]);
    expect(Array.from(fromBmp.pixels)).toEqual(Array.from(fromPng.pixels));
    await expect(preprocessImage('bad.bmp', Buffer.from('BM not really'), cfg)).rejects.toThrow(
      /bad\.bmp: .*bmp image/,
    );
  });

  it('drops alpha keeping the colours beneath, as PIL convert("RGB"), and normalises with mean/std', async () => {
    const transparent = await sharp({
      create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const d = await preprocessImage('alpha.png', transparent, cfg);
    // black under alpha 0: (0 - 0.5) / 0.5, computed as 0 * a + b and stored as float32 (exact)
    for (const v of d.pixels) expect(v).toBe(-1);
  });

  it("converts CMYK to RGB with PIL's formula, no colour management", async () => {
    const cmyk = await sharp({
      create: { width: 4, height: 4, channels: 3, background: { r: 0, g: 0, b: 255 } },
    })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    const d = await preprocessImage('cmyk.jpg', cmyk, cfg);
    // blue stays blue: the blue plane well above red and green (not a numeric tolerance: the
    // CMYK values libvips' profile gives pure blue; the PIL comparison is preprocess.test.ts)
    expect(d.pixels[2 * 16]).toBeGreaterThan(d.pixels[0] + 0.5);
    expect(d.pixels[2 * 16]).toBeGreaterThan(d.pixels[16] + 0.5);
  });

  it('rejects bad input naming the file', async () => {
    await expect(preprocessImage('/x/empty.jpg', Buffer.alloc(0), cfg)).rejects.toThrow(
      '/x/empty.jpg: empty file (0 bytes)',
    );
    await expect(preprocessImage('/x/a.png', Buffer.from('hello'), cfg)).rejects.toThrow(
      '/x/a.png: not an image, or an unsupported image format',
    );
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    await expect(preprocessImage('/x/t.png', png.subarray(0, 60), cfg)).rejects.toThrow(/^\/x\/t\.png: /);
  });
});
