import express from 'express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditLog } from '../../src/api/audit.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { makeRollout, makeTestApi, type TestApi } from '../api/support.js';

// The server side of the API benchmarks, run in its own process (forked with IPC) so it gets a
// core of its own: "hello" is a bare express route (the baseline), "api" the Sluice API on an
// in-process RolloutBackend, with its audit log and delivery store on the real disk.

const mode = process.argv[2];
let server: RunningServer | undefined;
let api: TestApi | undefined;
let dir: string | undefined;

if (mode === 'hello') {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.post('/hello', express.raw({ type: () => true }), (_req, res) => {
    res.status(202).json({ hello: 'world' });
  });
  server = await startServer({ app, port: 0 });
} else {
  dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  api = await makeTestApi({ dir, rateLimit: { perSecond: 1e9, burst: 1e9 } });
  api.backend.put(makeRollout('checkout', 'Paused', 2));
  server = await startServer({ app: api.app, port: 0 });
}

process.send?.({ url: server.url });
// If the benchmark process goes away, so does this one (and its temp dir).
process.on('disconnect', () => {
  void (async () => {
    await server?.close();
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
process.on('message', (msg: { cmd: string }) => {
  void (async () => {
    if (msg.cmd === 'stats' && api) {
      const audit = await verifyAuditLog(api.auditPath, 'audit-key');
      process.send?.({ writes: api.backend.writes, audit });
    } else if (msg.cmd === 'stop') {
      await server?.close();
      await api?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      process.send?.({ stopped: true });
      process.exit(0);
    }
  })();
});
