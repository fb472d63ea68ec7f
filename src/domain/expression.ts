// Analysis conditions: parse (expression-parser.ts), print (expression-ast.ts) and evaluate.
// Evaluation walks the tree; nothing is ever handed to eval or Function.
//
// Values are numbers, booleans and lists of numbers (`result`). Where a number is needed and a
// list has exactly one value, that value is used, so `result >= 0.95` works on a one-sample
// answer. Arithmetic never yields NaN or ±Inf: division or remainder by zero, and overflow,
// are ExpressionErrors, so a condition can never pass or fail on a value that is not a number.
// `not` and `!` bind looser than comparisons: `not result[0] > 1` means `not (result[0] > 1)`.
// `and`/`or` short-circuit, so `len(result) > 1 and result[1] > 0` is safe on one value.

import { ExpressionError } from './errors.js';
import { printExpression, type Expr } from './expression-ast.js';

export {
  parseExpression,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
} from './expression-parser.js';
export { printExpression, FUNCTION_NAMES } from './expression-ast.js';
export type { Expr, BinaryOp, UnaryOp, FunctionName } from './expression-ast.js';

export type Value = number | boolean | readonly number[];

export interface ExpressionEnv {
  result: readonly number[];
}

function typeName(v: Value): string {
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  return `list of ${v.length} value${v.length === 1 ? '' : 's'}`;
}

function typeError(e: Expr, wanted: string, got: Value): never {
  throw new ExpressionError(
    `${printExpression(e)} at position ${e.pos} is a ${typeName(got)}; expected ${wanted}`,
    e.pos,
  );
}

function asNumber(e: Expr, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return typeError(e, 'a number', v);
  if (v.length === 1) return v[0] as number;
  throw new ExpressionError(
    `${printExpression(e)} at position ${e.pos} has ${v.length} values where one number is needed; pick one, e.g. ${printExpression(e)}[0]`,
    e.pos,
  );
}

function asBoolean(e: Expr, v: Value): boolean {
  if (typeof v === 'boolean') return v;
  return typeError(e, 'true or false (a comparison such as result[0] >= 0.95)', v);
}

function asList(e: Expr, v: Value): readonly number[] {
  if (typeof v === 'boolean') return typeError(e, 'a list or a number', v);
  return typeof v === 'number' ? [v] : v;
}

function finite(e: Expr, n: number): number {
  if (!Number.isFinite(n))
    throw new ExpressionError(`${printExpression(e)} at position ${e.pos} overflows`, e.pos);
  return n;
}

function evaluateIndex(e: Expr & { type: 'index' }, env: ExpressionEnv): number {
  const target = evaluate(e.target, env);
  if (typeof target !== 'object') return typeError(e.target, 'a list', target);
  const index = asNumber(e.index, evaluate(e.index, env));
  if (!Number.isInteger(index) || index < 0 || index >= target.length) {
    const n = target.length;
    const what = e.target.type === 'result' ? 'the query returned' : 'the list has';
    throw new ExpressionError(
      `${printExpression(e.target)}[${index}] is out of range: ${what} ${n} value${n === 1 ? '' : 's'}`,
      e.pos,
    );
  }
  return target[index] as number;
}

function evaluateCall(e: Expr & { type: 'call' }, env: ExpressionEnv): number {
  const arity = (n: number): void => {
    if (e.args.length !== n)
      throw new ExpressionError(
        `${e.name}() at position ${e.pos} takes ${n} argument${n === 1 ? '' : 's'}, got ${e.args.length}`,
        e.pos,
      );
  };
  const listArg = (): readonly number[] => {
    arity(1);
    const arg = e.args[0] as Expr;
    return asList(arg, evaluate(arg, env));
  };
  switch (e.name) {
    case 'len':
      return listArg().length;
    case 'abs':
      arity(1);
      return Math.abs(asNumber(e.args[0] as Expr, evaluate(e.args[0] as Expr, env)));
    case 'sum':
      return finite(
        e,
        listArg().reduce((a, b) => a + b, 0),
      );
    case 'avg': {
      const values = listArg();
      if (values.length === 0)
        throw new ExpressionError(`avg() at position ${e.pos} of an empty list`, e.pos);
      return (
        finite(
          e,
          values.reduce((a, b) => a + b, 0),
        ) / values.length
      );
    }
    case 'min':
    case 'max': {
      // min/max take numbers or lists and look at every value: max(result), min(result[0], 1).
      const values = e.args.flatMap((a) => [...asList(a, evaluate(a, env))]);
      if (values.length === 0)
        throw new ExpressionError(`${e.name}() at position ${e.pos} has no values`, e.pos);
      // reduce, not Math.min(...values): a long vector must not overflow the argument list.
      return values.reduce((a, b) => (e.name === 'min' ? Math.min(a, b) : Math.max(a, b)));
    }
    default: {
      const never: never = e.name;
      throw new ExpressionError(`unknown function ${String(never)}`, e.pos);
    }
  }
}

function compare(e: Expr & { type: 'binary' }, env: ExpressionEnv): boolean {
  const l = evaluate(e.left, env);
  const r = evaluate(e.right, env);
  if ((e.op === '==' || e.op === '!=') && (typeof l === 'boolean' || typeof r === 'boolean')) {
    const lb = asBoolean(e.left, l);
    const rb = asBoolean(e.right, r);
    return e.op === '==' ? lb === rb : lb !== rb;
  }
  const a = asNumber(e.left, l);
  const b = asNumber(e.right, r);
  switch (e.op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      throw new ExpressionError(`'${e.op}' is not a comparison`, e.pos);
  }
}

function arithmetic(e: Expr & { type: 'binary' }, env: ExpressionEnv): number {
  const a = asNumber(e.left, evaluate(e.left, env));
  const b = asNumber(e.right, evaluate(e.right, env));
  if ((e.op === '/' || e.op === '%') && b === 0)
    throw new ExpressionError(
      `division by zero in ${printExpression(e)} at position ${e.pos}: ${printExpression(e.right)} is 0`,
      e.pos,
    );
  switch (e.op) {
    case '+':
      return finite(e, a + b);
    case '-':
      return finite(e, a - b);
    case '*':
      return finite(e, a * b);
    case '/':
      return finite(e, a / b);
    case '%':
      return finite(e, a % b);
    default:
      throw new ExpressionError(`'${e.op}' is not arithmetic`, e.pos);
  }
}

function unknownOperator(op: never): never {
  throw new ExpressionError(`unknown operator ${String(op)}`, 0);
}

/** Evaluates a parsed expression. Throws ExpressionError on a type error or a bad index. */
export function evaluate(e: Expr, env: ExpressionEnv): Value {
  switch (e.type) {
    case 'number':
    case 'bool':
      return e.value;
    case 'result':
      return env.result;
    case 'index':
      return evaluateIndex(e, env);
    case 'call':
      return evaluateCall(e, env);
    case 'unary':
      if (e.op === 'not') return !asBoolean(e.operand, evaluate(e.operand, env));
      return -asNumber(e.operand, evaluate(e.operand, env));
    case 'binary': {
      const op = e.op;
      switch (op) {
        case 'or':
          return (
            asBoolean(e.left, evaluate(e.left, env)) || asBoolean(e.right, evaluate(e.right, env))
          );
        case 'and':
          return (
            asBoolean(e.left, evaluate(e.left, env)) && asBoolean(e.right, evaluate(e.right, env))
          );
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          return compare(e, env);
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
          return arithmetic(e, env);
        default:
          return unknownOperator(op);
      }
    }
    default: {
      const never: never = e;
      throw new ExpressionError(`unknown expression ${JSON.stringify(never)}`, 0);
    }
  }
}

/** Evaluates a condition; anything but true or false is an ExpressionError. */
export function evaluateCondition(e: Expr, env: ExpressionEnv): boolean {
  return asBoolean(e, evaluate(e, env));
}
