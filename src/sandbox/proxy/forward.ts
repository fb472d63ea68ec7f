import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';

// Sends one request to one upstream endpoint and streams the answer back, reporting what
// Envoy would put in response_flags when it goes wrong.

export interface ForwardResult {
  status: number;
  /** "-" when all went well; otherwise Envoy's flag (UF, UT, UC). */
  flags: string;
  version: string | undefined;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

export function createUpstreamAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 10_000 });
}

export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  baseUrl: string,
  agent: Agent,
  timeoutMs: number,
): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const target = new URL(req.url ?? '/', baseUrl);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    let settled = false;
    const finish = (result: ForwardResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const fail = (status: number, flags: string, text: string): void => {
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain', 'x-envoy-response-flags': flags });
        res.end(text);
      } else {
        res.destroy();
      }
      finish({ status: res.headersSent ? res.statusCode : status, flags, version: undefined });
    };

    const upstream = request(target, { method: req.method, headers, agent }, (answer) => {
      const status = answer.statusCode ?? 502;
      const version = header(answer, 'x-version');
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(status, out);
      answer.pipe(res);
      answer.once('end', () => finish({ status, flags: '-', version }));
      answer.once('error', () => {
        res.destroy();
        finish({ status, flags: 'UC', version });
      });
    });
    upstream.setTimeout(timeoutMs, () => {
      upstream.destroy();
      fail(504, 'UT', 'upstream request timeout');
    });
    upstream.once('error', () => {
      fail(
        503,
        res.headersSent ? 'UC' : 'UF',
        'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
      );
    });
    req.pipe(upstream);
  });
}

function header(msg: IncomingMessage, name: string): string | undefined {
  const value = msg.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
