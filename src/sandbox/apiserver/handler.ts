// One HTTP request: discovery, or a resource verb; failures become Status bodies; every write
// is recorded in the write log, and injected failures answer before the write happens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { parseFieldValidation } from './admission.js';
import type { ServerContext, Target, WriteOptions, WriteResult } from './context.js';
import { deleteObject } from './delete.js';
import { coreVersions, groupDoc, groupList, resourceList, versionInfo } from './discovery.js';
import { openApiV3Index, openApiV3Group } from './openapi.js';
import { decodeProtobuf } from './protobuf.js';
import { getObject, listObjects, selectObjects } from './read.js';
import { parseResourcePath, resolveTarget } from './routing.js';
import { ApiStatusError, badRequest, failureStatus, reasonFor } from './status.js';
import { nameOf } from './store.js';
import { resourceKey, type FailureRule, type WriteRecord, type WriteVerb } from './types.js';
import { serveWatch, type WatchOptions } from './watch.js';
import { createObject, patchObject, updateObject } from './write.js';

export interface HandlerState {
  ctx: ServerContext;
  writeLog: WriteRecord[];
  failures: FailureRule[];
  watch: WatchOptions;
}

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY)
        reject(new ApiStatusError(413, 'request entity too large', 'RequestEntityTooLarge'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const base = (contentType ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (base === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(body);
  const raw = body.toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return base.endsWith('yaml') ? (parseYaml(raw) as unknown) : (JSON.parse(raw) as unknown);
  } catch (err) {
    throw badRequest(
      `couldn't decode the request body: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  warnings: string[] = [],
): void {
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json' };
  if (warnings.length > 0) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

function verbFor(method: string, hasName: boolean): WriteVerb | undefined {
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return hasName ? 'delete' : 'delete';
  return undefined;
}

function matchFailure(state: HandlerState, verb: WriteVerb, t: Target): FailureRule | undefined {
  const rule = state.failures.find(
    (r) =>
      (r.verb === undefined || r.verb === verb) &&
      (r.resource === undefined ||
        r.resource === t.def.plural ||
        r.resource === resourceKey(t.def)) &&
      (r.name === undefined || r.name === t.name) &&
      (r.namespace === undefined || r.namespace === t.namespace) &&
      (r.subresource === undefined || r.subresource === t.subresource),
  );
  if (rule?.times !== undefined) {
    rule.times -= 1;
    if (rule.times <= 0) state.failures.splice(state.failures.indexOf(rule), 1);
  }
  return rule;
}

function discovery(state: HandlerState, req: IncomingMessage, pathname: string): unknown {
  const { registry } = state.ctx;
  const parts = pathname.split('/').filter((p) => p !== '');
  const notFound = (): never => {
    throw new ApiStatusError(404, 'the server could not find the requested resource', 'NotFound');
  };
  if (pathname === '/version') return versionInfo();
  if (pathname === '/api') return coreVersions(req.headers.host ?? '127.0.0.1');
  if (pathname === '/apis') return groupList(registry);
  if (pathname === '/openapi/v3') return openApiV3Index(registry);
  if (parts[0] === 'openapi' && parts[1] === 'v3' && parts.length >= 4) {
    return openApiV3Group(registry, parts.slice(2).join('/')) ?? notFound();
  }
  if (parts[0] === 'api' && parts.length === 2)
    return resourceList(registry, '', parts[1] ?? '') ?? notFound();
  if (parts[0] === 'apis' && parts.length === 2)
    return groupDoc(registry, parts[1] ?? '') ?? notFound();
  if (parts[0] === 'apis' && parts.length === 3)
    return resourceList(registry, parts[1] ?? '', parts[2] ?? '') ?? notFound();
  return notFound();
}

export async function handleRequest(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const method = req.method ?? 'GET';
  let record: WriteRecord | undefined;
  try {
    if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const parsed = parseResourcePath(url.pathname);
    if (parsed === undefined) {
      if (method !== 'GET')
        throw new ApiStatusError(
          405,
          `${method} is not allowed on ${url.pathname}`,
          'MethodNotAllowed',
        );
      sendJson(res, 200, discovery(state, req, url.pathname));
      return;
    }
    const rawBody = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
    const raw = rawBody.toString('utf8');
    const contentType = req.headers['content-type'];
    const t = resolveTarget(state.ctx.registry, parsed);
    const verb = verbFor(method, t.name !== undefined);
    if (verb !== undefined) {
      record = {
        at: Date.now(),
        verb,
        resource: t.def.plural,
        group: t.def.group,
        namespace: t.def.namespaced ? t.namespace : undefined,
        name: t.name,
        body: undefined,
        status: 0,
      };
      if (t.subresource !== undefined) record.subresource = t.subresource;
      if (contentType !== undefined) record.contentType = contentType;
      try {
        record.body = verb === 'patch' ? JSON.parse(raw) : decodeBody(rawBody, contentType);
      } catch {
        record.body = raw;
      }
      state.writeLog.push(record);
      const rule = matchFailure(state, verb, t);
      if (rule !== undefined)
        throw new ApiStatusError(rule.status, rule.message, reasonFor(rule.status));
    }
    const result = dispatch(state, req, res, t, method, url.searchParams, rawBody, contentType);
    if (result === undefined) return;
    if (record) record.status = result.status;
    sendJson(res, result.status, result.body, result.warnings);
  } catch (err) {
    const status =
      err instanceof ApiStatusError
        ? err.toStatus()
        : failureStatus(500, err instanceof Error ? err.message : String(err));
    if (!(err instanceof ApiStatusError))
      state.ctx.logger.error('sandbox API server request failed', {
        method,
        path: url.pathname,
        error: String(err),
      });
    if (record) record.status = status.code;
    if (res.headersSent) res.end();
    else sendJson(res, status.code, status);
  }
}

function dispatch(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  method: string,
  query: URLSearchParams,
  rawBody: Buffer,
  contentType: string | undefined,
): WriteResult | undefined {
  const raw = rawBody.toString('utf8');
  const { ctx } = state;
  const accept = req.headers.accept;
  const opts: WriteOptions = {
    fieldValidation: parseFieldValidation(query.get('fieldValidation')),
    dryRun: query.getAll('dryRun').includes('All'),
  };
  const collection = t.name === undefined;
  switch (method) {
    case 'GET':
      if (!collection) return { status: 200, body: getObject(ctx, t, accept, query), warnings: [] };
      if (query.get('watch') === 'true' || query.get('watch') === '1') {
        serveWatch(ctx, t, query, req, res, state.watch);
        return undefined;
      }
      return { status: 200, body: listObjects(ctx, t, accept, query), warnings: [] };
    case 'POST':
      if (!collection || t.subresource !== undefined || (t.def.namespaced && t.namespace === '')) {
        throw new ApiStatusError(
          405,
          'the server does not allow this method on the requested resource',
          'MethodNotAllowed',
        );
      }
      return createObject(ctx, t, decodeBody(rawBody, contentType), opts);
    case 'PUT':
      if (collection) break;
      return updateObject(ctx, t, decodeBody(rawBody, contentType), opts);
    case 'PATCH':
      if (collection) break;
      return patchObject(ctx, t, raw, contentType, opts);
    case 'DELETE': {
      const body = decodeBody(rawBody, contentType);
      if (!collection) return deleteObject(ctx, t, body, query, opts);
      const items = selectObjects(ctx, t, query).map(
        (o) =>
          deleteObject(
            ctx,
            {
              ...t,
              namespace: t.def.namespaced
                ? String((o['metadata'] as Record<string, unknown>)['namespace'] ?? '')
                : '',
              name: nameOf(o),
            },
            body,
            query,
            opts,
          ).body,
      );
      return {
        status: 200,
        body: { kind: t.def.listKind, apiVersion: 'v1', metadata: {}, items },
        warnings: [],
      };
    }
    default:
      break;
  }
  throw new ApiStatusError(
    405,
    `${method} is not allowed on the requested resource`,
    'MethodNotAllowed',
  );
}
