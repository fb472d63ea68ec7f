import { expect } from 'chai';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistedStore } from '../../src/api/persisted-store.js';

describe('PersistedStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the newest entries across a reopen and forgets the oldest past its bound', async () => {
    const path = join(dir, 's.jsonl');
    const store = await PersistedStore.open<number>(path, { maxEntries: 10 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`k${i}`, i)));
    await store.close();
    const again = await PersistedStore.open<number>(path, { maxEntries: 10 });
    expect(again.size).to.equal(10);
    expect(again.get('k24')).to.equal(24);
    expect(again.has('k14')).to.equal(false);
    await again.close();
  });

  it('compacts the file once it holds twice the bound', async () => {
    const path = join(dir, 's.jsonl');
    const store = await PersistedStore.open<number>(path, { maxEntries: 5 });
    for (let i = 0; i < 11; i++) await store.set(`k${i}`, i);
    await store.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.length).to.be.at.most(10);
  });

  it('skips a torn last line left by a crash and keeps later entries readable', async () => {
    const path = join(dir, 's.jsonl');
    const store = await PersistedStore.open<string>(path);
    await store.set('a', 'x');
    await store.close();
    await appendFile(path, '{"k":"b","v":');
    const again = await PersistedStore.open<string>(path);
    expect(again.get('a')).to.equal('x');
    expect(again.has('b')).to.equal(false);
    await again.set('c', 'y');
    await again.close();
    const third = await PersistedStore.open<string>(path);
    expect(third.get('c')).to.equal('y');
    await third.close();
  });
});
