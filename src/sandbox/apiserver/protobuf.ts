// Decodes the few protobuf bodies kubectl's generators send (`kubectl create namespace`,
// `create configmap`, `create secret generic`) into the JSON objects the server works with.
// Anything else in protobuf is refused with 415.
import { ApiStatusError } from './status.js';
import type { KubeObject } from './types.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  wire: number;
  /** varint value, or the bytes of a length-delimited field. */
  value: bigint | Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length; i += 1) {
    const byte = buf[i] ?? 0;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, i + 1];
    shift += 7n;
  }
  throw new Error('truncated varint');
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = readVarint(buf, pos);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [value, after] = readVarint(buf, next);
      out.push({ no, wire, value });
      pos = after;
    } else if (wire === 2) {
      const [len, start] = readVarint(buf, next);
      const end = start + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ no, wire, value: buf.subarray(start, end) });
      pos = end;
    } else if (wire === 1 || wire === 5) {
      pos = next + (wire === 1 ? 8 : 4);
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const bytesOf = (f: Field | undefined): Buffer | undefined =>
  f !== undefined && Buffer.isBuffer(f.value) ? f.value : undefined;
const str = (f: Field | undefined): string | undefined => bytesOf(f)?.toString('utf8');
const all = (fs: Field[], no: number): Field[] => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number): Field | undefined => all(fs, no)[0];

function map(fs: Field[], no: number, asBase64 = false): Record<string, string> | undefined {
  const entries = all(fs, no);
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const kv = fields(bytesOf(e) ?? Buffer.alloc(0));
    const value = bytesOf(one(kv, 2)) ?? Buffer.alloc(0);
    out[str(one(kv, 1)) ?? ''] = asBase64 ? value.toString('base64') : value.toString('utf8');
  }
  return out;
}

function objectMeta(buf: Buffer): Record<string, unknown> {
  const fs = fields(buf);
  const meta: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined && value !== '') meta[key] = value;
  };
  set('name', str(one(fs, 1)));
  set('generateName', str(one(fs, 2)));
  set('namespace', str(one(fs, 3)));
  set('labels', map(fs, 11));
  set('annotations', map(fs, 12));
  const finalizers = all(fs, 14).map(str);
  if (finalizers.length > 0) meta['finalizers'] = finalizers;
  return meta;
}

type Decoder = (fs: Field[]) => KubeObject;

const DECODERS: Record<string, Decoder> = {
  'v1/Namespace': () => ({}),
  'v1/ConfigMap': (fs) => {
    const obj: KubeObject = {};
    const data = map(fs, 2);
    const binaryData = map(fs, 3, true);
    if (data) obj['data'] = data;
    if (binaryData) obj['binaryData'] = binaryData;
    return obj;
  },
  'v1/Secret': (fs) => {
    const obj: KubeObject = {};
    const data = map(fs, 2, true);
    if (data) obj['data'] = data;
    const type = str(one(fs, 3));
    if (type) obj['type'] = type;
    const stringData = map(fs, 4);
    if (stringData) obj['stringData'] = stringData;
    return obj;
  },
};

/** Decodes a `application/vnd.kubernetes.protobuf` body, or throws 415 for kinds it cannot read. */
export function decodeProtobuf(body: Buffer): KubeObject {
  const refuse = (why: string): never => {
    throw new ApiStatusError(
      415,
      `the sandbox API server cannot decode this protobuf body (${why}); send JSON`,
      'UnsupportedMediaType',
    );
  };
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) return refuse('no k8s magic prefix');
  try {
    const unknown = fields(body.subarray(4));
    const typeMeta = fields(bytesOf(one(unknown, 1)) ?? Buffer.alloc(0));
    const apiVersion = str(one(typeMeta, 1)) ?? '';
    const kind = str(one(typeMeta, 2)) ?? '';
    const decoder = DECODERS[`${apiVersion}/${kind}`];
    if (decoder === undefined) return refuse(`kind ${apiVersion}/${kind}`);
    const raw = fields(bytesOf(one(unknown, 2)) ?? Buffer.alloc(0));
    const meta = bytesOf(one(raw, 1));
    return { apiVersion, kind, metadata: meta ? objectMeta(meta) : {}, ...decoder(raw) };
  } catch (err) {
    if (err instanceof ApiStatusError) throw err;
    return refuse(err instanceof Error ? err.message : String(err));
  }
}
