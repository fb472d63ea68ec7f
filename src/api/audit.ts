import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';
import { GroupCommitWriter } from './group-commit.js';

// Append-only audit log: one JSON record per line. Each record carries `prev`, the SHA-256 of
// the previous line exactly as written (the first record carries GENESIS), and, when a key is
// configured, `hmac` = HMAC-SHA256(key, the line without its hmac field). Editing, removing
// or swapping a record breaks the chain at that point; with a key, the last record is covered
// too. NOTE: cutting records off the END cannot be seen from the file alone; compare the last
// seq with what /metrics or the logs report.

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  requestId: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  seq: number;
  time: string;
  prev: string;
  hmac?: string;
}

export interface AuditLog {
  /** Resolves once the record is written and flushed to disk. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  close(): Promise<void>;
}

export interface FileAuditLogOptions {
  /** HMAC key; when set every record carries an hmac. */
  key?: string | Buffer;
  clock?: () => Date;
}

export async function openAuditLog(
  path: string,
  options: FileAuditLogOptions = {},
): Promise<AuditLog> {
  await mkdir(dirname(path), { recursive: true });
  const tail = await readLastLine(path);
  let seq = 0;
  let prev = GENESIS;
  if (tail !== undefined) {
    const rec = parseRecord(tail);
    if (!rec)
      throw new Error(`audit log ${path} ends with a malformed record; run "sluice audit verify"`);
    seq = rec.seq;
    prev = sha256(tail);
  }
  const writer = new GroupCommitWriter(await open(path, 'a'));
  const clock = options.clock ?? (() => new Date());

  // seq and prev are taken when the record is made, so the chain follows call order; the
  // line reaches the disk with its batch (group commit) before the promise resolves.
  async function write(entry: AuditEntry): Promise<AuditRecord> {
    const base = {
      seq: seq + 1,
      time: clock().toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      requestId: entry.requestId,
      details: entry.details ?? {},
      prev,
    };
    const record: AuditRecord =
      options.key === undefined
        ? base
        : { ...base, hmac: hmacOf(options.key, JSON.stringify(base)) };
    const line = JSON.stringify(record);
    seq = record.seq;
    prev = sha256(line);
    await writer.append(line + '\n');
    return record;
  }

  return {
    append: write,
    close: () => writer.close(),
  };
}

export const AUDIT_PROBLEMS = ['malformed', 'changed', 'removed', 'reordered'] as const;
export type AuditProblem = (typeof AUDIT_PROBLEMS)[number];

export interface AuditVerification {
  ok: boolean;
  records: number;
  /** 1-based line number of the first record found wrong. */
  firstBad?: { line: number; seq?: number; problem: AuditProblem; message: string };
}

export async function verifyAuditLog(
  path: string,
  key?: string | Buffer,
): Promise<AuditVerification> {
  // Streams the file: an audit log can be far larger than memory allows as one string.
  let count = 0;
  let prevLine: string | undefined;
  let bad: AuditVerification['firstBad'];
  let missing: { seq: number; line: number; found: number } | undefined;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    count += 1;
    if (missing) {
      // After a gap, look on only to learn whether the missing record turns up later.
      if (parseRecord(line)?.seq === missing.seq) {
        bad = reorderedAt(missing);
        missing = undefined;
      }
      continue;
    }
    if (bad) continue;
    const found = checkLine(line, count, prevLine, key);
    if (found === 'gap') {
      const rec = parseRecord(line) as AuditRecord;
      missing = { seq: count, line: count, found: rec.seq };
      continue;
    }
    if (found) bad = found;
    prevLine = line;
  }
  if (missing)
    bad = {
      line: missing.line,
      seq: missing.found,
      problem: 'removed',
      message: `records ${missing.seq}..${missing.found - 1} are missing`,
    };
  return bad ? { ok: false, records: count, firstBad: bad } : { ok: true, records: count };
}

function reorderedAt(m: {
  seq: number;
  line: number;
  found: number;
}): AuditVerification['firstBad'] {
  return {
    line: m.line,
    seq: m.found,
    problem: 'reordered',
    message: `seq ${m.found} where ${m.seq} was expected`,
  };
}

/** The problem with line `n` (1-based), 'gap' when records seem to be missing before it. */
function checkLine(
  line: string,
  n: number,
  prevLine: string | undefined,
  key: string | Buffer | undefined,
): AuditVerification['firstBad'] | 'gap' | undefined {
  const rec = parseRecord(line);
  if (!rec) return { line: n, problem: 'malformed', message: 'not a JSON audit record' };
  if (rec.seq < n) return reorderedAt({ seq: n, line: n, found: rec.seq });
  if (rec.seq > n) return 'gap';
  if (key !== undefined) {
    const { hmac, ...rest } = rec;
    if (hmac === undefined || !safeEqualHex(hmac, hmacOf(key, JSON.stringify(rest))))
      return {
        line: n,
        seq: rec.seq,
        problem: 'changed',
        message: 'hmac does not match the record',
      };
  }
  const expectedPrev = prevLine === undefined ? GENESIS : sha256(prevLine);
  if (rec.prev !== expectedPrev)
    // The chain breaks here: the record before this one was edited.
    return {
      line: n - 1,
      seq: rec.seq - 1,
      problem: 'changed',
      message: `record ${rec.seq - 1} was changed after it was written`,
    };
  return undefined;
}

function parseRecord(line: string): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    Number.isInteger(r.seq) &&
    typeof r.time === 'string' &&
    typeof r.actor === 'string' &&
    typeof r.action === 'string' &&
    typeof r.target === 'string' &&
    typeof r.requestId === 'string' &&
    typeof r.prev === 'string' &&
    (r.hmac === undefined || typeof r.hmac === 'string');
  return ok ? (value as AuditRecord) : undefined;
}

/** The last non-empty line, read from the end of the file (the log may be very large). */
async function readLastLine(path: string): Promise<string | undefined> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await file.stat();
    for (let chunk = 64 * 1024; ; chunk *= 4) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      await file.read(buf, 0, buf.length, start);
      const lines = buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '');
      // A whole line is known once a newline precedes it, or the read reached the file's start.
      if (lines.length >= 2 || start === 0) return lines[lines.length - 1];
    }
  } finally {
    await file.close();
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmacOf(key: string | Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
