import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

// Where the CLI finds the API: flags, then SLUICE_URL / SLUICE_TOKEN, then
// ~/.config/sluice/config.yaml ({url, token}). Read when a command runs, never at import.

export interface Connection {
  url: string;
  token: string | undefined;
}

export interface ConnectionSources {
  flags: { url?: string; token?: string };
  env: Record<string, string | undefined>;
  /** The home directory; the config file is <home>/.config/sluice/config.yaml. */
  home: string | undefined;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    /** True when trying again later may work (no answer, 5xx, 429). */
    readonly retriable = false,
    /** How long the server asked us to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Exit codes: `wait` uses 0/1/2; anything that went wrong otherwise is 3. */
export const EXIT = { ok: 0, failed: 1, timeout: 2, error: 3 } as const;

export async function resolveConnection(src: ConnectionSources): Promise<Connection> {
  const file = await readConfigFile(src.env.SLUICE_CONFIG ?? defaultConfigPath(src.home));
  const url = src.flags.url ?? src.env.SLUICE_URL ?? file.url;
  const token = src.flags.token ?? src.env.SLUICE_TOKEN ?? file.token;
  if (!url)
    throw new CliError(
      'no API URL: pass --url, set SLUICE_URL, or put "url:" in ~/.config/sluice/config.yaml',
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`the API URL "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`the API URL must be http(s), got ${parsed.protocol}`);
  return { url: url.replace(/\/+$/, ''), token };
}

function defaultConfigPath(home: string | undefined): string | undefined {
  return home ? join(home, '.config', 'sluice', 'config.yaml') : undefined;
}

async function readConfigFile(path: string | undefined): Promise<{ url?: string; token?: string }> {
  if (!path) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new CliError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object')
    throw new CliError(`${path} must hold a mapping with url and token`);
  const v = value as Record<string, unknown>;
  const out: { url?: string; token?: string } = {};
  if (v.url !== undefined) {
    if (typeof v.url !== 'string') throw new CliError(`${path}: url must be a string`);
    out.url = v.url;
  }
  if (v.token !== undefined) {
    if (typeof v.token !== 'string') throw new CliError(`${path}: token must be a string`);
    out.token = v.token;
  }
  return out;
}
