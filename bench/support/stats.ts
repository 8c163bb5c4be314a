/** The middle value (the upper one of an even count): benchmarks report medians of interleaved rounds. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The value at fraction `q` of the sorted sample (nearest rank, upper): `quantile(xs, 0.95)` is its p95. */
export const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
