import { expect } from 'chai';
import { pendingCommands, readCommands } from '../../../src/domain/commands.js';
import type { Rollout } from '../../../src/domain/types.js';

function rollout(annotations: Record<string, string>, handled = {}): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'shop', namespace: 'demo', annotations },
    spec: {
      targetRef: { kind: 'Deployment', name: 'shop' },
      trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
      strategy: { canary: { steps: [] } },
    },
    status: { handledCommands: handled },
  };
}

describe('commands', () => {
  it('reads a bare id and a JSON value bound to a step', () => {
    const { commands, problems } = readCommands({
      'sluice.dev/promote': '{"id":"r1","step":2}',
      'sluice.dev/abort': 'r2',
    });
    expect(problems).to.deep.equal([]);
    expect(commands).to.deep.include({ kind: 'promote', id: 'r1', step: 2 });
    expect(commands).to.deep.include({ kind: 'abort', id: 'r2' });
  });

  it('reports a malformed value instead of dropping it', () => {
    const { problems } = readCommands({ 'sluice.dev/promote': '{"id":' });
    expect(problems).to.have.length(1);
    expect(problems[0]?.annotation).to.equal('sluice.dev/promote');
  });

  it('lists only unhandled commands, abort first', () => {
    const r = rollout(
      { 'sluice.dev/promote': 'p1', 'sluice.dev/abort': 'a1', 'sluice.dev/pause': 'x' },
      { pause: 'x' },
    );
    expect(pendingCommands(r).map((c) => c.kind)).to.deep.equal(['abort', 'promote']);
  });
});
