import { parseDuration } from '../duration.js';
import { InvalidSpecError } from '../errors.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const LONG_PART = /^(\d+)(w|d)/;

/**
 * What spec.window may be (the CRD's pattern too): one whole number and one of m, h, d, w, e.g.
 * "28d", "4w". Seconds or compound windows ("30s", "1h30m") are refused: a compliance window is
 * minutes at the least, and one unit is what people read in alerts and dashboards.
 */
export const SLO_WINDOW_PATTERN = '^[0-9]+(m|h|d|w)$';

/**
 * Parses an SLO window or burn-rate window in Prometheus's units: "5m", "6h", "3d", "4w",
 * "1w3d12h". Weeks and days are taken first, the rest goes to parseDuration.
 */
export function parseSloWindow(text: string, field = 'window'): number {
  let rest = text.trim();
  let total = 0;
  for (let m = LONG_PART.exec(rest); m; m = LONG_PART.exec(rest)) {
    total += Number(m[1]) * (m[2] === 'w' ? WEEK_MS : DAY_MS);
    rest = rest.slice(m[0].length);
  }
  if (rest !== '') total += parseDuration(rest, field);
  if (!(total > 0)) throw new InvalidSpecError(field, `"${text}" must be a positive duration`);
  return total;
}

/** The Prometheus range text for a window in ms, days and smaller: 2419200000 -> "28d". */
export function formatPromDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let out = '';
  let rest = Math.round(ms);
  for (const [unit, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out === '' ? '0s' : out;
}
