import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { makeRollout, makeTestApi, TOKENS, type TestApi } from './support.js';

const run = promisify(execFile);

describe('HTTPS server', () => {
  let dir: string;
  let cert: Buffer;
  let t: TestApi;
  let server: RunningServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-tls-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    cert = await readFile(join(dir, 'cert.pem'));
    t = await makeTestApi();
    t.backend.put(makeRollout('checkout', 'Paused', 2));
    server = await startServer({
      app: t.app,
      port: 0,
      tls: { cert, key: await readFile(join(dir, 'key.pem')) },
    });
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the API over TLS 1.3', async () => {
    const { status, body, protocol } = await new Promise<{
      status: number;
      body: string;
      protocol: string;
    }>((resolve, reject) => {
      const req = httpsRequest(
        `${server.url}/api/v1/namespaces/shop/rollouts/checkout`,
        { ca: cert, headers: { Authorization: `Bearer ${TOKENS.viewer}` } },
        (res) => {
          const tlsProtocol = (res.socket as TLSSocket).getProtocol() ?? '';
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: text,
              protocol: tlsProtocol,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(server.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(status).to.equal(200);
    expect(JSON.parse(body).phase).to.equal('Paused');
    expect(protocol).to.equal('TLSv1.3');
  });

  it('refuses a TLS 1.2 client', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port: server.port,
        ca: cert,
        maxVersion: 'TLSv1.2',
        servername: 'localhost',
      });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(outcome).not.to.equal('connected');
    expect(outcome).to.match(/ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|ECONNRESET/);
  });
});
