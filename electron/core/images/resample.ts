/**
 * Image resizing exactly as Pillow's `Image.resize` computes it (src/libImaging/Resample.c), so
 * preprocessing gives a model the pixels its reference processor (PIL, as in transformers) gives.
 *
 * Pillow resamples in two separable passes, horizontal then vertical, each an 8-bit image: per
 * output pixel a window of input pixels weighted by the filter, centred at (x + 0.5) * scale.
 * When downsampling, the filter is stretched by the scale (its support grows, its argument
 * shrinks), so every input pixel contributes. Weights are normalised to sum 1, then turned into
 * fixed point with 22 fractional bits (rounded half away from zero); a pass's sum starts at half
 * a unit, is shifted down (floor) and clipped to 0..255. An unchanged dimension skips its pass;
 * an unchanged size returns a copy. NEAREST is not a filter there but an affine lookup.
 */

/** Pillow's filters, indexed by its `Resampling` codes (what `resample` means in a preprocessor_config.json). */
export const PIL_FILTERS = ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming'] as const;
export type PilFilter = (typeof PIL_FILTERS)[number];

interface Kernel {
  support: number;
  weight(x: number): number;
}

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(x * Math.PI) / (x * Math.PI));

const KERNELS: Record<Exclude<PilFilter, 'nearest'>, Kernel> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  hamming: {
    support: 1,
    weight: (x) => {
      const t = Math.abs(x);
      if (t === 0) return 1;
      if (t >= 1) return 0;
      // Pillow writes these constants as C floats (0.54f, 0.46f): the same values here
      return (
        (Math.sin(t * Math.PI) / (t * Math.PI)) *
        (Math.fround(0.54) + Math.fround(0.46) * Math.cos(t * Math.PI))
      );
    },
  },
  bicubic: {
    support: 2,
    // Keys' cubic convolution with a = -0.5
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

/** Per output index: the first input index, how many follow, and their fixed-point weights. */
interface Coefficients {
  first: Int32Array;
  count: Int32Array;
  /** count[i] weights of output i at i * ksize */
  weights: Float64Array;
  ksize: number;
}

function coefficients(inSize: number, outSize: number, kernel: Kernel): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let sum = 0;
    for (let x = 0; x < hi - lo; x++) {
      w[x] = kernel.weight((x + lo - center + 0.5) / filterScale);
      sum += w[x];
    }
    for (let x = 0; x < hi - lo; x++) {
      const k = sum !== 0 ? w[x] / sum : w[x];
      weights[o * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    first[o] = lo;
    count[o] = hi - lo;
  }
  return { first, count, weights, ksize };
}

/** A fixed-point sum back to 8 bits: floor, then clipped. */
function clip8(sum: number): number {
  const v = Math.floor(sum / ONE);
  return Math.max(0, Math.min(v, 255));
}

/** One pass along rows (`stride` = channels) or columns (`stride` = width * channels). */
function pass(
  src: Uint8Array,
  lines: number,
  inLen: number,
  outLen: number,
  channels: number,
  horizontal: boolean,
  kernel: Kernel,
): Uint8Array {
  const c = coefficients(inLen, outLen, kernel);
  const out = new Uint8Array(lines * outLen * channels);
  // horizontal: line = row, step along it = channels; vertical: line = column, step = row length
  const inStep = horizontal ? channels : lines * channels;
  const outStep = horizontal ? channels : lines * channels;
  for (let line = 0; line < lines; line++) {
    const inBase = horizontal ? line * inLen * channels : line * channels;
    const outBase = horizontal ? line * outLen * channels : line * channels;
    for (let o = 0; o < outLen; o++) {
      const lo = c.first[o];
      const n = c.count[o];
      const k0 = o * c.ksize;
      for (let ch = 0; ch < channels; ch++) {
        let sum = ONE / 2;
        let p = inBase + lo * inStep + ch;
        for (let x = 0; x < n; x++, p += inStep) sum += src[p] * c.weights[k0 + x];
        out[outBase + o * outStep + ch] = clip8(sum);
      }
    }
  }
  return out;
}

function nearest(
  src: Uint8Array,
  w: number,
  h: number,
  outW: number,
  outH: number,
  channels: number,
): Uint8Array {
  const out = new Uint8Array(outW * outH * channels);
  const sx = w / outW;
  const sy = h / outH;
  for (let y = 0; y < outH; y++) {
    const iy = Math.min(h - 1, Math.trunc((y + 0.5) * sy));
    for (let x = 0; x < outW; x++) {
      const ix = Math.min(w - 1, Math.trunc((x + 0.5) * sx));
      for (let ch = 0; ch < channels; ch++) {
        out[(y * outW + x) * channels + ch] = src[(iy * w + ix) * channels + ch];
      }
    }
  }
  return out;
}

/**
 * Resizes interleaved 8-bit pixels (`channels` per pixel, rows top to bottom) from w x h to
 * outW x outH as Pillow's `Image.resize((outW, outH), filter)` does for an RGB (or L) image.
 */
export function resizePil(
  pixels: Uint8Array,
  w: number,
  h: number,
  outW: number,
  outH: number,
  filter: PilFilter,
  channels = 3,
): Uint8Array {
  if (pixels.length !== w * h * channels) {
    throw new Error(`resizePil: ${pixels.length} bytes is not ${w}x${h}x${channels}`);
  }
  if (outW < 1 || outH < 1) throw new Error(`resizePil: cannot resize to ${outW}x${outH}`);
  if (w === outW && h === outH) return pixels.slice();
  if (filter === 'nearest') return nearest(pixels, w, h, outW, outH, channels);
  const kernel = KERNELS[filter];
  // the vertical pass walks columns: its `lines` are the row length in pixels after the horizontal pass
  const wide = w === outW ? pixels : pass(pixels, h, w, outW, channels, true, kernel);
  return h === outH ? wide : pass(wide, outW, h, outH, channels, false, kernel);
}
