import { InvalidSpecError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a Go-style duration ("250ms", "30s", "5m", "1h30m") into milliseconds.
 * A bare integer is taken as seconds, as Argo Rollouts does. `field` names the spec path for errors.
 */
export function parseDuration(text: string | number, field = 'duration'): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0)
      throw new InvalidSpecError(field, `must be a non-negative number of seconds, got ${text}`);
    return Math.round(text * 1000);
  }
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  if (s === '') throw new InvalidSpecError(field, 'empty duration; use e.g. "30s" or "5m"');
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m)
      throw new InvalidSpecError(
        field,
        `"${text}" is not a duration; use e.g. "30s", "5m" or "1h30m"`,
      );
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = PART.lastIndex;
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (m < 60) return rest ? `${m}m${rest}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}
