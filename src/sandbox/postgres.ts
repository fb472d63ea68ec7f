import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A private PostgreSQL instance for tests and the demo: its own data directory in a temp dir,
// listening on 127.0.0.1 only, with durability switched off because nothing in it must survive.
// It never touches the Debian cluster. As root, initdb and postgres refuse to run, so both run
// as the `postgres` user (spawn's uid/gid, so the pid we hold is the postmaster itself).

export interface PostgresOptions {
  /** Give up starting after this long. Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Where to create the temp dir. Default os.tmpdir(). */
  baseDir?: string;
}

export interface DatabaseConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl: false;
}

export interface PostgresInstance {
  host: string;
  port: number;
  user: string;
  /** The postmaster's pid. */
  pid: number;
  dataDir: string;
  db(database: string): DatabaseConfig;
  url(database: string): string;
  /** Creates a database, optionally as a copy of `template` (which must have no open connections). */
  createDatabase(name: string, options?: { template?: string }): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  /** Runs one SQL command as the superuser and returns psql's unaligned output. */
  sql(database: string, command: string): Promise<string>;
  /** Stops the postmaster (fast shutdown, by pid) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The newest PostgreSQL binaries under /usr/lib/postgresql/<ver>/bin. */
export async function findPostgresBin(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = await readdir(root).catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined)
    throw new Error(`no PostgreSQL under ${root}; run scripts/ensure-deps.sh postgres`);
  return join(root, newest, 'bin');
}

/** A port that was free a moment ago on 127.0.0.1 (for servers that need it fixed at start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresInstance> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signal = AbortSignal.any([
    AbortSignal.timeout(timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const bin = await findPostgresBin();
  const owner = process.getuid?.() === 0 ? await lookupUser(SUPERUSER) : undefined;
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'sluice-pg-'));
  const dataDir = join(dir, 'data');
  let child: ChildProcess | undefined;
  try {
    if (owner) await chown(dir, owner.uid, owner.gid);
    await run(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        SUPERUSER,
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-sync',
        '--locale=C.UTF-8',
      ],
      { owner, signal },
    );
    const port = await freePort();
    await writeFile(
      join(dataDir, 'postgresql.auto.conf'),
      // Throwaway data: trade durability for speed (CREATE DATABASE ... TEMPLATE included).
      'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' +
        'max_connections = 200\nshared_buffers = 64MB\n',
    );
    if (owner) await chown(join(dataDir, 'postgresql.auto.conf'), owner.uid, owner.gid);
    child = spawn(
      join(bin, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', dir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      },
    );
    const log = tail(child);
    const pid = child.pid;
    if (pid === undefined) throw new Error('postgres did not start (no pid)');
    await waitReady(bin, port, child, log, signal);
    return instance({ bin, dir, dataDir, port, pid, child });
  } catch (err) {
    if (child?.pid !== undefined && child.exitCode === null) await stopChild(child, child.pid);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function instance(p: {
  bin: string;
  dir: string;
  dataDir: string;
  port: number;
  pid: number;
  child: ChildProcess;
}): PostgresInstance {
  const host = '127.0.0.1';
  let stopped: Promise<void> | undefined;
  // Safety net if our process exits without stop(): immediate shutdown, remove the files.
  const onExit = (): void => {
    if (p.child.exitCode === null && p.child.signalCode === null) process.kill(p.pid, 'SIGQUIT');
    rmSync(p.dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const sql = (database: string, command: string): Promise<string> =>
    run(
      join(p.bin, 'psql'),
      [
        '-h',
        host,
        '-p',
        String(p.port),
        '-U',
        SUPERUSER,
        '-d',
        database,
        '-v',
        'ON_ERROR_STOP=1',
        '-qAtX',
        '-c',
        command,
      ],
      { signal: AbortSignal.timeout(30_000) },
    );
  return {
    host,
    port: p.port,
    user: SUPERUSER,
    pid: p.pid,
    dataDir: p.dataDir,
    db: (database) => ({ host, port: p.port, user: SUPERUSER, password: '', database, ssl: false }),
    url: (database) => `postgres://${SUPERUSER}@${host}:${p.port}/${database}`,
    sql,
    async createDatabase(name, options = {}) {
      const template = options.template === undefined ? '' : ` TEMPLATE ${ident(options.template)}`;
      await sql('postgres', `CREATE DATABASE ${ident(name)}${template}`);
    },
    async dropDatabase(name) {
      await sql('postgres', `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    },
    stop() {
      stopped ??= (async () => {
        process.off('exit', onExit);
        await stopChild(p.child, p.pid);
        await rm(p.dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function ident(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`database name "${name}" must match ${IDENTIFIER.source}`);
  return name;
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error(`running as root needs the "${name}" user; install the postgresql package`);
  return { uid: Number(uid), gid: Number(gid) };
}

function run(
  file: string,
  args: string[],
  opts: { owner?: { uid: number; gid: number } | undefined; signal: AbortSignal },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        signal: opts.signal,
        cwd: '/',
        ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : {}),
      },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`${file.split('/').pop()} failed: ${stderr.trim() || err.message}`, {
              cause: err,
            }),
          );
        else resolve(stdout);
      },
    );
  });
}

function tail(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  });
  return () => text;
}

async function waitReady(
  bin: string,
  port: number,
  child: ChildProcess,
  log: () => string,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`postgres exited with ${child.exitCode} while starting: ${log().trim()}`);
    if (signal.aborted)
      throw new Error(`postgres not ready on port ${port} in time: ${log().trim()}`);
    const ok = await run(
      join(bin, 'pg_isready'),
      ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER],
      {
        signal: AbortSignal.timeout(5000),
      },
    ).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGINT is PostgreSQL's fast shutdown; SIGKILL after 10 s. Only ever the pid we started. */
async function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(pid, 'SIGINT');
  const timer = setTimeout(() => {
    if (child.exitCode === null) process.kill(pid, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}
