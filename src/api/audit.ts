import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
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
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const records = lines.map(parseRecord);
  const bad = (line: number, problem: AuditProblem, message: string, seq?: number) => ({
    ok: false,
    records: lines.length,
    firstBad: { line, problem, message, ...(seq === undefined ? {} : { seq }) },
  });
  let prevLine: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const rec = records[i];
    const line = lines[i] as string;
    if (!rec) return bad(i + 1, 'malformed', 'not a JSON audit record');
    const expectedSeq = i + 1;
    if (rec.seq !== expectedSeq) {
      const later = records.slice(i + 1).some((r) => r?.seq === expectedSeq);
      if (later || rec.seq < expectedSeq)
        return bad(i + 1, 'reordered', `seq ${rec.seq} where ${expectedSeq} was expected`, rec.seq);
      return bad(i + 1, 'removed', `records ${expectedSeq}..${rec.seq - 1} are missing`, rec.seq);
    }
    if (key !== undefined) {
      const { hmac, ...rest } = rec;
      if (hmac === undefined || !safeEqualHex(hmac, hmacOf(key, JSON.stringify(rest))))
        return bad(i + 1, 'changed', 'hmac does not match the record', rec.seq);
    }
    const expectedPrev = prevLine === undefined ? GENESIS : sha256(prevLine);
    if (rec.prev !== expectedPrev)
      // The chain breaks here: the record before this one was edited.
      return bad(
        i,
        'changed',
        `record ${rec.seq - 1} was changed after it was written`,
        rec.seq - 1,
      );
    prevLine = line;
  }
  return { ok: true, records: lines.length };
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

async function readLastLine(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  return lines[lines.length - 1];
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
