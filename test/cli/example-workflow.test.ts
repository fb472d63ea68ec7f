import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/main.js';

// The GitHub Actions example must not drift from the CLI: every `sluice` command it runs must
// exist, with every option it passes.

interface Step {
  run?: string;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

async function help(...argv: string[]): Promise<string> {
  let out = '';
  const code = await runCli([...argv, '--help'], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (out += s) },
    env: {},
    home: undefined,
  });
  expect(code, `sluice ${argv.join(' ')} --help`).to.equal(0);
  return out;
}

describe('examples/github-actions/release.yml', () => {
  it('uses only sluice commands and options that exist, and waits then aborts on failure', async () => {
    const wf = parse(await readFile('examples/github-actions/release.yml', 'utf8')) as Workflow;
    const runs = Object.values(wf.jobs)
      .flatMap((j) => j.steps)
      .flatMap((s) => (s.run ?? '').replace(/\\\n\s*/g, ' ').split('\n'));
    const calls = runs.map((l) => l.trim()).filter((l) => l.startsWith('sluice '));
    const commands = calls.map((c) => c.split(/\s+/)[1] ?? '');
    expect(commands).to.include.members(['wait', 'abort', 'get']);
    const global = await help();
    for (const call of calls) {
      const [, command = ''] = call.split(/\s+/);
      const text = (await help(command)) + global;
      for (const option of call.match(/--[a-z][a-z-]*/g) ?? [])
        expect(text, `sluice ${command} ${option}`).to.contain(option);
    }
  });
});
