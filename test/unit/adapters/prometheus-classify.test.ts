import { expect } from 'chai';
import {
  classifyPrometheusResponse,
  classifyPrometheusText,
  parseSampleValue,
} from '../../../src/adapters/prometheus/classify.js';
import type { ProviderAnswer } from '../../../src/domain/provider.js';

const T = 1_700_000_000.123;

function ok(resultType: string, result: unknown): unknown {
  return { status: 'success', data: { resultType, result } };
}

function sample(value: string, labels: Record<string, string> = {}): unknown {
  return { metric: labels, value: [T, value] };
}

interface ValueCase {
  name: string;
  body: unknown;
  values: number[];
}

interface ErrorCase {
  name: string;
  body: unknown;
  status: number;
  /** Text the message must contain. */
  says: string[];
  timeout?: boolean;
}

describe('classifyPrometheusResponse', () => {
  const valueCases: ValueCase[] = [
    { name: 'a one-series vector', body: ok('vector', [sample('0.97')]), values: [0.97] },
    {
      name: 'a vector of several series, in series order',
      body: ok('vector', [sample('1', { pod: 'a' }), sample('2.5e-3', { pod: 'b' }), sample('-4')]),
      values: [1, 0.0025, -4],
    },
    { name: 'an empty vector (no data)', body: ok('vector', []), values: [] },
    { name: 'a scalar', body: ok('scalar', [T, '42']), values: [42] },
    { name: 'a scalar NaN', body: ok('scalar', [T, 'NaN']), values: [Number.NaN] },
    {
      name: 'NaN, +Inf and -Inf samples as numbers',
      body: ok('vector', [sample('NaN'), sample('+Inf'), sample('-Inf')]),
      values: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    },
  ];

  for (const c of valueCases) {
    it(`answers values for ${c.name}`, () => {
      const answer = classifyPrometheusResponse(c.body, 200);
      expect(answer).to.deep.equal({ kind: 'values', values: c.values });
    });
  }

  const errorCases: ErrorCase[] = [
    {
      name: 'a PromQL parse error (HTTP 400 bad_data)',
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis',
      },
      says: ['HTTP 400', 'bad_data', 'unclosed left parenthesis'],
    },
    {
      name: 'an execution error (HTTP 422)',
      status: 422,
      body: { status: 'error', errorType: 'execution', error: 'many-to-many matching' },
      says: ['HTTP 422', 'execution', 'many-to-many'],
    },
    {
      name: "Prometheus's own query timeout (HTTP 503 timeout)",
      status: 503,
      body: {
        status: 'error',
        errorType: 'timeout',
        error: 'query timed out in expression evaluation',
      },
      says: ['HTTP 503', 'timeout', 'query timed out'],
      timeout: true,
    },
    {
      name: 'a 503 with a plain text body',
      status: 503,
      body: 'Service Unavailable',
      says: ['HTTP 503', 'Service Unavailable'],
    },
    { name: 'a 500 with no body', status: 500, body: '', says: ['HTTP 500'] },
    {
      name: 'a range vector (matrix)',
      status: 200,
      body: ok('matrix', [{ metric: {}, values: [[T, '1']] }]),
      says: ['range vector', 'not supported', 'instant vector'],
    },
    {
      name: 'a string result',
      status: 200,
      body: ok('string', [T, 'abc']),
      says: ['string', 'abc', 'instant vector or a scalar'],
    },
    { name: 'an unknown resultType', status: 200, body: ok('histogram', []), says: ['histogram'] },
    {
      name: 'status error on HTTP 200',
      status: 200,
      body: { status: 'error', errorType: 'internal', error: 'boom' },
      says: ['internal', 'boom'],
    },
    { name: 'a body without status', status: 200, body: { data: {} }, says: ['status'] },
    { name: 'a JSON array body', status: 200, body: [1, 2], says: ['JSON array'] },
    { name: 'a null body', status: 200, body: null, says: ['null'] },
    { name: 'a success without data', status: 200, body: { status: 'success' }, says: ['data'] },
    {
      name: 'a vector sample whose value is not a number',
      status: 200,
      body: ok('vector', [sample('0.5'), sample('lots')]),
      says: ['malformed vector sample at [1]'],
    },
    {
      name: 'a vector sample without a value',
      status: 200,
      body: ok('vector', [{ metric: {} }]),
      says: ['malformed vector sample at [0]'],
    },
    {
      name: 'a vector that is not a list',
      status: 200,
      body: ok('vector', {}),
      says: ['not a list'],
    },
    {
      name: 'a malformed scalar',
      status: 200,
      body: ok('scalar', ['x']),
      says: ['malformed scalar'],
    },
  ];

  for (const c of errorCases) {
    it(`answers an error for ${c.name}`, () => {
      const answer = classifyPrometheusResponse(c.body, c.status);
      expectError(answer, c.says, c.timeout ?? false);
    });
  }
});

describe('classifyPrometheusText', () => {
  it('reports a body that is not JSON as malformed JSON', () => {
    expectError(
      classifyPrometheusText('{"status":"succ', 200),
      ['malformed JSON', '{"status":"succ'],
      false,
    );
  });

  it('reports an HTML error page by its status, not as a JSON problem', () => {
    const answer = classifyPrometheusText('<html>Bad Gateway</html>', 502);
    expectError(answer, ['HTTP 502', 'Bad Gateway'], false);
  });

  it('parses valid JSON and classifies it', () => {
    const text = JSON.stringify(ok('vector', [sample('+Inf')]));
    expect(classifyPrometheusText(text, 200)).to.deep.equal({
      kind: 'values',
      values: [Number.POSITIVE_INFINITY],
    });
  });
});

describe('parseSampleValue', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['0.95', 0.95],
    ['1e-3', 0.001],
    ['-0', -0],
    ['NaN', Number.NaN],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['', undefined],
    [' ', undefined],
    ['abc', undefined],
    [0.5, undefined],
    [null, undefined],
  ];
  for (const [raw, expected] of cases) {
    it(`reads ${JSON.stringify(raw)} as ${String(expected)}`, () => {
      expect(parseSampleValue(raw)).to.deep.equal(expected);
    });
  }
});

function expectError(answer: ProviderAnswer, says: string[], timeout: boolean): void {
  expect(answer.kind).to.equal('error');
  if (answer.kind !== 'error') return;
  for (const text of says) expect(answer.message).to.contain(text);
  expect(answer.timeout).to.equal(timeout);
}
