import cdf from '@stdlib/stats-base-dists-normal-cdf';
import quantile from '@stdlib/stats-base-dists-normal-quantile';

// Thin wrappers over stdlib's standard normal, so the rest of stats/ names what it means.

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return cdf(z, 0, 1);
}

/** P(Z > z), computed without the cancellation of 1 - cdf(z) in the upper tail. */
export function normalSf(z: number): number {
  return cdf(-z, 0, 1);
}

/** The z with P(Z <= z) = p. */
export function normalQuantile(p: number): number {
  return quantile(p, 0, 1);
}
