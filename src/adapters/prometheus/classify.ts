import type { ProviderAnswer } from '../../domain/provider.js';

// Turns one answer of Prometheus's instant-query API (GET /api/v1/query) into a ProviderAnswer.
// Pure: the HTTP call lives in provider.ts. Every shape that is not an instant vector or a
// scalar becomes an error answer whose message says what came back and what to do.

const SNIPPET = 200;

/** Prometheus writes sample values as strings: "0.97", "NaN", "+Inf", "-Inf", "1e-3". */
export function parseSampleValue(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  switch (raw) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const value = Number(raw);
  // Number('') is 0 and Number(' ') is 0; Prometheus never writes those, so refuse them.
  return raw.trim() === '' || Number.isNaN(value) ? undefined : value;
}

/** Classifies a response body (already parsed from JSON) and its HTTP status. */
export function classifyPrometheusResponse(body: unknown, httpStatus: number): ProviderAnswer {
  if (httpStatus < 200 || httpStatus > 299) return httpError(body, httpStatus);
  if (!isRecord(body))
    return error(`Prometheus answered with ${describe(body)}, not a JSON object`);
  if (body['status'] === 'error') return prometheusError(body, `HTTP ${httpStatus}`);
  if (body['status'] !== 'success') {
    return error(`Prometheus answered without status "success": ${snippet(body)}`);
  }
  const data = body['data'];
  if (!isRecord(data)) return error(`Prometheus answered without a data object: ${snippet(body)}`);
  return classifyResult(data['resultType'], data['result']);
}

/** Parses the raw text first, so a body that is not JSON is reported as such. */
export function classifyPrometheusText(text: string, httpStatus: number): ProviderAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    if (httpStatus < 200 || httpStatus > 299) return httpError(text, httpStatus);
    const reason = err instanceof Error ? err.message : String(err);
    return error(`Prometheus answered with malformed JSON (${reason}): ${clip(text)}`);
  }
  return classifyPrometheusResponse(body, httpStatus);
}

function classifyResult(resultType: unknown, result: unknown): ProviderAnswer {
  switch (resultType) {
    case 'vector':
      return classifyVector(result);
    case 'scalar': {
      const value = sampleOf(result);
      return value === undefined
        ? error(`Prometheus answered a malformed scalar: ${snippet(result)}`)
        : { kind: 'values', values: [value] };
    }
    case 'matrix':
      return error(
        'Prometheus answered a range vector (matrix); range vectors are not supported. ' +
          'Use an instant vector, e.g. sum(rate(metric[5m])) instead of metric[5m]',
      );
    case 'string':
      return error(
        `Prometheus answered a string (${snippet(result)}), not a number; ` +
          'the query must return an instant vector or a scalar',
      );
    default:
      return error(`Prometheus answered an unknown resultType ${snippet(resultType)}`);
  }
}

function classifyVector(result: unknown): ProviderAnswer {
  if (!Array.isArray(result)) return error(`Prometheus answered a vector that is not a list`);
  const values: number[] = [];
  for (const [i, series] of result.entries()) {
    const value = isRecord(series) ? sampleOf(series['value']) : undefined;
    if (value === undefined) {
      return error(`Prometheus answered a malformed vector sample at [${i}]: ${snippet(series)}`);
    }
    values.push(value);
  }
  return { kind: 'values', values };
}

/** A sample is [<unix seconds>, "<value>"]. */
function sampleOf(sample: unknown): number | undefined {
  if (!Array.isArray(sample) || sample.length !== 2 || typeof sample[0] !== 'number') {
    return undefined;
  }
  return parseSampleValue(sample[1]);
}

function httpError(body: unknown, httpStatus: number): ProviderAnswer {
  if (isRecord(body) && (typeof body['error'] === 'string' || body['status'] === 'error')) {
    return prometheusError(body, `HTTP ${httpStatus}`);
  }
  const text = typeof body === 'string' ? clip(body) : snippet(body);
  return error(`Prometheus answered HTTP ${httpStatus}${text ? `: ${text}` : ''}`, false);
}

/** Prometheus's own error shape: {status: "error", errorType: "bad_data", error: "..."}. */
function prometheusError(body: Record<string, unknown>, where: string): ProviderAnswer {
  const errorType = typeof body['errorType'] === 'string' ? body['errorType'] : 'unknown';
  const text = typeof body['error'] === 'string' ? body['error'] : 'no error text';
  // Prometheus answers 503 {errorType: "timeout"} when the query ran past its own timeout.
  return error(`Prometheus answered ${where} (${errorType}): ${text}`, errorType === 'timeout');
}

function error(message: string, timeout = false): ProviderAnswer {
  return { kind: 'error', message, timeout };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a JSON array';
  return `a JSON ${typeof value}`;
}

function snippet(value: unknown): string {
  return clip(JSON.stringify(value) ?? String(value));
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET ? `${flat.slice(0, SNIPPET)}…` : flat;
}
