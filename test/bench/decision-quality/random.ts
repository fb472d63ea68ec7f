// A small seeded PRNG and the samplers the benchmark needs. Seeded so that a benchmark result can
// be reproduced exactly; not for anything cryptographic.

export interface Random {
  /** Uniform on [0, 1). */
  uniform(): number;
  normal(): number;
  poisson(mean: number): number;
  gamma(shape: number): number;
  beta(a: number, b: number): number;
  binomial(n: number, p: number): number;
}

/** sfc32 (Chris Doty-Humphrey's small fast counter generator), seeded from one integer. */
export function createRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 + seed;
  let c = 0xb7e15162 ^ (seed * 31);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();

  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // Marsaglia's polar method: two independent normals per accepted pair.
    for (;;) {
      const u = 2 * next() - 1;
      const v = 2 * next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        spare = v * f;
        return u * f;
      }
    }
  };

  const gamma = (shape: number): number => {
    // Marsaglia and Tsang (2000); shape < 1 boosted by U^(1/shape).
    if (shape < 1) return gamma(shape + 1) * Math.pow(next(), 1 / shape);
    const dd = shape - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      const x = normal();
      const v0 = 1 + cc * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = next();
      if (Math.log(u) < 0.5 * x * x + dd - dd * v + dd * Math.log(v)) return dd * v;
    }
  };

  const poisson = (mean: number): number => {
    if (!(mean > 0)) return 0;
    if (mean < 30) {
      // Knuth: multiply uniforms until the product drops below e^-mean.
      const limit = Math.exp(-mean);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    }
    // Large means: the Poisson count of a unit-rate process is the number of gamma arrivals;
    // split off a gamma-distributed chunk and recurse on the rest (Ahrens-Dieter style).
    const m = Math.floor(mean * 0.875);
    const g = gamma(m);
    if (g > mean) return binomial(m - 1, mean / g);
    return m + poisson(mean - g);
  };

  const binomial = (n: number, p: number): number => {
    if (n <= 0 || p <= 0) return 0;
    if (n < 40) {
      let k = 0;
      for (let i = 0; i < n; i++) if (next() < p) k++;
      return k;
    }
    // Beta split (Ahrens-Dieter): the median order statistic of n uniforms.
    const i = Math.floor((n + 1) / 2);
    const x = beta(i, n + 1 - i);
    return x >= p ? binomial(i - 1, p / x) : i + binomial(n - i, (p - x) / (1 - x));
  };

  const beta = (alpha: number, b2: number): number => {
    const x = gamma(alpha);
    return x / (x + gamma(b2));
  };

  return { uniform: next, normal, poisson, gamma, beta, binomial };
}
