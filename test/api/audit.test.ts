import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog, verifyAuditLog } from '../../src/api/audit.js';

describe('audit log', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-audit-'));
    path = join(dir, 'audit.jsonl');
    const log = await openAuditLog(path, { key: 'k' });
    for (let i = 1; i <= 5; i++)
      await log.append({
        actor: 'ci',
        action: 'rollout.promote',
        target: 'shop/checkout',
        requestId: `r${i}`,
      });
    await log.close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function lines(): Promise<string[]> {
    return (await readFile(path, 'utf8')).trimEnd().split('\n');
  }
  async function save(ls: string[]): Promise<void> {
    await writeFile(path, ls.join('\n') + '\n');
  }

  it('writes one hash-chained record per line that verifies', async () => {
    const ls = await lines();
    expect(ls).to.have.length(5);
    const first = JSON.parse(ls[0] as string);
    expect(first).to.include({ seq: 1, actor: 'ci', requestId: 'r1', prev: '0'.repeat(64) });
    expect(first.hmac).to.match(/^[0-9a-f]{64}$/);
    expect(await verifyAuditLog(path, 'k')).to.deep.equal({ ok: true, records: 5 });
  });

  it('continues the chain after a restart', async () => {
    const log = await openAuditLog(path, { key: 'k' });
    const rec = await log.append({ actor: 'x', action: 'a', target: 't', requestId: 'r6' });
    await log.close();
    expect(rec.seq).to.equal(6);
    expect(await verifyAuditLog(path, 'k')).to.deep.equal({ ok: true, records: 6 });
  });

  it('reports a changed record', async () => {
    const ls = await lines();
    ls[2] = (ls[2] as string).replace('"r3"', '"r9"');
    await save(ls);
    const v = await verifyAuditLog(path, 'k');
    expect(v.ok).to.equal(false);
    expect(v.firstBad).to.include({ line: 3, problem: 'changed' });
  });

  it('reports a changed record through the chain even without the key', async () => {
    const ls = await lines();
    ls[1] = (ls[1] as string).replace('"ci"', '"someone-else"');
    await save(ls);
    expect((await verifyAuditLog(path)).firstBad).to.include({ line: 2, problem: 'changed' });
  });

  it('reports a removed record', async () => {
    const ls = await lines();
    ls.splice(2, 1);
    await save(ls);
    expect((await verifyAuditLog(path, 'k')).firstBad).to.include({ line: 3, problem: 'removed' });
  });

  it('reports reordered records', async () => {
    const ls = await lines();
    [ls[1], ls[2]] = [ls[2] as string, ls[1] as string];
    await save(ls);
    expect((await verifyAuditLog(path, 'k')).firstBad).to.include({
      line: 2,
      problem: 'reordered',
    });
  });

  it('reports a rewritten last record when a key is configured', async () => {
    const ls = await lines();
    ls[4] = (ls[4] as string).replace('"r5"', '"r0"');
    await save(ls);
    expect((await verifyAuditLog(path, 'k')).firstBad).to.include({ line: 5, problem: 'changed' });
  });

  it('reports a line that is not a record', async () => {
    const ls = await lines();
    ls.splice(1, 0, 'garbage');
    await save(ls);
    expect((await verifyAuditLog(path, 'k')).firstBad).to.include({
      line: 2,
      problem: 'malformed',
    });
  });

  it('keeps concurrent appends in one unbroken chain', async () => {
    const log = await openAuditLog(path, { key: 'k' });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        log.append({ actor: 'x', action: 'a', target: 't', requestId: `c${i}` }),
      ),
    );
    await log.close();
    expect(await verifyAuditLog(path, 'k')).to.deep.equal({ ok: true, records: 55 });
  });
});
