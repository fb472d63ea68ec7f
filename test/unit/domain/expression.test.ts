import { expect } from 'chai';
import fc from 'fast-check';
import { ExpressionError } from '../../../src/domain/errors.js';
import {
  evaluate,
  evaluateCondition,
  parseExpression,
  printExpression,
  type Expr,
  type Value,
} from '../../../src/domain/expression.js';

const BINARY_TEXT = [
  'or',
  '||',
  'and',
  '&&',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
];

function withoutPositions(e: Expr): unknown {
  return JSON.parse(
    JSON.stringify(e, (key, value: unknown) => (key === 'pos' ? undefined : value)),
  );
}

function run(text: string, result: number[]): Value {
  return evaluate(parseExpression(text), { result });
}

function expressionError(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ExpressionError);
    return err as ExpressionError;
  }
  throw new Error('expected an ExpressionError, nothing was thrown');
}

describe('expression', () => {
  describe('evaluation', () => {
    const cases: Array<[string, number[], Value]> = [
      ['result[0] >= 0.95', [0.97], true],
      ['result[0] >= 0.95', [0.78], false],
      ['result >= 0.95', [0.96], true],
      ['result[1] < 1e-3', [5, 0.0005], true],
      ['.5 == 0.5', [], true],
      ['1 + 2 * 3', [], 7],
      ['(1 + 2) * 3', [], 9],
      ['10 - 4 - 3', [], 3],
      ['12 / 4 / 3', [], 1],
      ['7 % 4', [], 3],
      ['-result[0] + 1', [0.25], 0.75],
      ['- -2', [], 2],
      ['not true or true', [], true],
      ['not (true or true)', [], false],
      ['!false && true', [], true],
      ['true and false or true', [], true],
      ['true or false and false', [], true],
      ['len(result)', [1, 2, 3], 3],
      ['abs(result[0] - 1)', [0.5], 0.5],
      ['min(result)', [3, 1, 2], 1],
      ['max(result, 9)', [3, 1, 2], 9],
      ['min(4, result[2])', [3, 1, 2], 2],
      ['sum(result)', [1, 2, 3.5], 6.5],
      ['avg(result)', [1, 2, 3], 2],
      ['result', [1, 2], [1, 2]],
      ['len(result) > 1 and result[1] > 0', [1], false],
      ['len(result) == 1 or result[5] > 0', [1], true],
      ['true == (1 < 2)', [], true],
      ['result[0] != 1', [2], true],
      ['result[result[0]]', [1, 42], 42],
    ];
    for (const [text, result, expected] of cases) {
      it(`evaluates ${text} on [${result.join(', ')}] to ${JSON.stringify(expected)}`, () => {
        expect(run(text, result)).to.deep.equal(expected);
      });
    }
  });

  describe('errors', () => {
    const cases: Array<[string, number[], RegExp, number]> = [
      ['result[1] > 0', [0.5], /^result\[1\] is out of range: the query returned 1 value$/, 0],
      ['result[0] > 0', [], /result\[0\] is out of range: the query returned 0 values/, 0],
      ['result[0.5] > 0', [1, 2], /result\[0.5\] is out of range/, 0],
      ['result > 1', [1, 2], /has 2 values where one number is needed; .*result\[0\]/, 0],
      ['result[0] / 0 > 1', [1], /division by zero/, 0],
      ['result[0] % (1 - 1) > 1', [1], /division by zero/, 0],
      ['1e308 * 10 > 1', [], /overflows/, 0],
      ['true + 1', [], /true at position 0 is a boolean true; expected a number/, 0],
      ['not 1', [], /expected true or false/, 4],
      ['1 and true', [], /expected true or false/, 0],
      ['len(1 < 2)', [], /expected a list or a number/, 4],
      ['abs(1, 2)', [], /abs\(\) at position 0 takes 1 argument, got 2/, 0],
      ['avg(result)', [], /avg\(\) at position 0 of an empty list/, 0],
      ['max()', [], /max\(\) at position 0 has no values/, 0],
      ['(1 < 2)[0]', [], /expected a list/, 1],
    ];
    for (const [text, result, message, position] of cases) {
      it(`rejects ${text} on [${result.join(', ')}] with ${message}`, () => {
        const err = expressionError(() => evaluate(parseExpression(text), { result }));
        expect(err.message).to.match(message);
        expect(err.position).to.equal(position);
      });
    }

    it('requires a condition to be true or false', () => {
      const err = expressionError(() =>
        evaluateCondition(parseExpression('result[0]'), { result: [0.97] }),
      );
      expect(err.message).to.match(/is a number 0.97; expected true or false/);
    });
  });

  describe('parsing', () => {
    const bad: Array<[string, RegExp, number]> = [
      ['', /empty expression/, 0],
      ['   ', /empty expression/, 0],
      ['result[0] >=', /unexpected end of expression at position 12; expected a number/, 12],
      ['result[0] = 0.95', /unexpected character '=' at position 10.*did you mean '=='/, 10],
      ['result[0] > 1 & true', /unexpected character '&'.*did you mean '&&'/, 14],
      ['result[0 > 1', /unexpected end of expression at position 12; expected '\]'/, 12],
      ['(1 + 2', /expected '\)' to close the parenthesis/, 6],
      ['foo(1)', /unknown name 'foo' at position 0; expected 'result'/, 0],
      ['1 < 2 < 3', /unexpected '<' at position 6; .*comparisons do not chain/, 6],
      ['1 2', /unexpected '2' at position 2; expected an operator or end/, 2],
      ['1.2.3 > 0', /malformed number '1.2.'/, 0],
      ['1abc > 0', /malformed number '1a'/, 0],
      ['1e999 > 0', /number '1e999' at position 0 is too large/, 0],
      ['len 1', /expected '\(' after the function name 'len'/, 4],
      ['max(1,)', /unexpected '\)' at position 6/, 6],
      ['1 + not true', /unexpected 'not' at position 4/, 4],
      ['result[0] >= 0.95 and', /unexpected end of expression at position 21/, 21],
      ['@', /unexpected character '@' at position 0/, 0],
    ];
    for (const [text, message, position] of bad) {
      it(`rejects ${JSON.stringify(text)} with its position and what was expected`, () => {
        const err = expressionError(() => parseExpression(text));
        expect(err.message).to.match(message);
        expect(err.position).to.equal(position);
      });
    }

    it('rejects nesting deeper than the limit instead of exhausting the stack', () => {
      const err = expressionError(() => parseExpression(`${'('.repeat(500)}1${')'.repeat(500)}`));
      expect(err.message).to.match(/nested too deeply/);
      expect(() => parseExpression(`${'-'.repeat(20)}1 < 0`)).not.to.throw();
    });

    it('rejects overly long input', () => {
      expect(expressionError(() => parseExpression('1 + '.repeat(600) + '1')).message).to.match(
        /at most 2000/,
      );
    });

    it('prints the canonical form with the fewest parentheses', () => {
      const cases: Array<[string, string]> = [
        ['result[0]>=0.95&&!(len(result)<1)', 'result[0] >= 0.95 and not len(result) < 1'],
        ['(1 - 2) - 3', '1 - 2 - 3'],
        ['1 - (2 - 3)', '1 - (2 - 3)'],
        ['(1 < 2) == true', '(1 < 2) == true'],
        ['-(-1)', '- -1'],
        ['(not true) == false', '(not true) == false'],
        ['.5 * (1 + 2)', '0.5 * (1 + 2)'],
        ['(true or false) and true', '(true or false) and true'],
      ];
      for (const [input, printed] of cases) {
        expect(printExpression(parseExpression(input)), input).to.equal(printed);
      }
    });
  });

  describe('properties', () => {
    const alphabet = [
      ...'result[0] >= 0.95 and or not len abs min max sum avg ( ) [ ] , + - * / % ! = < > & | . e 1e-3 true false 12',
    ].concat(['result', 'and', 'or', '==', '&&', '||', 'len(', 'max(', '1e', '.5']);

    it('never fails on any input with anything but an ExpressionError', () => {
      const text = fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((p) => p.join('')),
      );
      fc.assert(
        fc.property(text, (s) => {
          try {
            parseExpression(s);
          } catch (err) {
            if (!(err instanceof ExpressionError)) throw err;
            expect(err.position).to.be.within(0, s.length);
          }
        }),
        { numRuns: 3000 },
      );
    });

    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.double({ min: 0, max: 1e6, noNaN: true }).map(String),
        fc.constantFrom('result', 'true', 'false', 'result[0]', '.5', '1e-3'),
        fc
          .tuple(tie('e'), fc.constantFrom(...BINARY_TEXT), tie('e'))
          .map(([a, op, b]) => `${a} ${op} ${b}`),
        tie('e').map((a) => `(${a})`),
        tie('e').map((a) => `-${a}`),
        tie('e').map((a) => `not ${a}`),
        tie('e').map((a) => `result[${a}]`),
        fc
          .tuple(
            fc.constantFrom('len', 'abs', 'min', 'max', 'sum', 'avg'),
            fc.array(tie('e'), { maxLength: 3 }),
          )
          .map(([f, args]) => `${f}(${args.join(', ')})`),
      ),
    })).e;

    it('re-parses a printed expression into the same tree', () => {
      fc.assert(
        fc.property(expr, (s) => {
          let tree: Expr;
          try {
            tree = parseExpression(s);
          } catch (err) {
            if (err instanceof ExpressionError) return; // e.g. chained comparisons
            throw err;
          }
          const printed = printExpression(tree);
          expect(withoutPositions(parseExpression(printed)), printed).to.deep.equal(
            withoutPositions(tree),
          );
        }),
        { numRuns: 2000 },
      );
    });

    it('evaluates to a value or an ExpressionError, never a non-finite number', () => {
      const values = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
        maxLength: 3,
      });
      fc.assert(
        fc.property(expr, values, (s, result) => {
          try {
            const v = evaluate(parseExpression(s), { result });
            if (typeof v === 'number') expect(Number.isFinite(v), `${s} gave ${v}`).to.equal(true);
          } catch (err) {
            if (!(err instanceof ExpressionError)) throw err;
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});
