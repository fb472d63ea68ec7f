// A hand-written recursive-descent parser for analysis conditions. It never evaluates
// anything: it only builds a tree (see expression-ast.ts). Every failure is an
// ExpressionError with the offset of the offending token, quoting it and what was expected.

import { ExpressionError } from './errors.js';
import { FUNCTION_NAMES, type BinaryOp, type Expr, type FunctionName } from './expression-ast.js';

/** Longer conditions are certainly a mistake; the limit also bounds the parser's work. */
export const MAX_EXPRESSION_LENGTH = 2000;
/** Nesting deeper than this is rejected rather than risking the stack. */
export const MAX_EXPRESSION_DEPTH = 64;

type TokenKind = 'number' | 'name' | 'op' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
];
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const PRIMARY_EXPECTED = "a number, 'result', 'true', 'false', a function call or '('";

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of expression' : `'${t.text}'`;
}

function fail(t: Token, expected: string): never {
  throw new ExpressionError(
    `unexpected ${describe(t)} at position ${t.pos}; expected ${expected}`,
    t.pos,
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const ch = text[pos] as string;
    if (/\s/.test(ch)) {
      pos += 1;
      continue;
    }
    NUMBER.lastIndex = pos;
    const num = NUMBER.exec(text);
    if (num) {
      const after = text[NUMBER.lastIndex];
      if (after !== undefined && /[A-Za-z0-9_.]/.test(after))
        throw new ExpressionError(
          `malformed number '${num[0]}${after}' at position ${pos}; expected digits, '.' and an optional exponent such as 1e-3`,
          pos,
        );
      tokens.push({ kind: 'number', text: num[0], pos });
      pos = NUMBER.lastIndex;
      continue;
    }
    NAME.lastIndex = pos;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], pos });
      pos = NAME.lastIndex;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, pos));
    if (op === undefined) {
      const hint =
        ch === '='
          ? "; did you mean '=='?"
          : ch === '&'
            ? "; did you mean '&&'?"
            : ch === '|'
              ? "; did you mean '||'?"
              : '';
      throw new ExpressionError(
        `unexpected character '${ch}' at position ${pos}; expected an operator, a number, a name or a parenthesis${hint}`,
        pos,
      );
    }
    tokens.push({ kind: 'op', text: op, pos });
    pos += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

const KEYWORDS: readonly string[] = ['and', 'or', 'not'];
const COMPARISONS: readonly string[] = ['==', '!=', '<', '<=', '>', '>='];

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    // NOTE: tokenize always ends the list with an 'end' token and `i` never passes it.
    return this.tokens[Math.min(this.i, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i += 1;
    return t;
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return (t.kind === 'op' || t.kind === 'name') && ops.includes(t.text);
  }

  private expect(op: string, expected: string): Token {
    const t = this.peek();
    if (t.kind !== 'op' || t.text !== op) fail(t, expected);
    return this.next();
  }

  private nest<T>(at: Token, parse: () => T): T {
    this.depth += 1;
    if (this.depth > MAX_EXPRESSION_DEPTH)
      throw new ExpressionError(
        `expression nested too deeply at position ${at.pos}; at most ${MAX_EXPRESSION_DEPTH} levels are allowed`,
        at.pos,
      );
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  parseAll(): Expr {
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'end') {
      const expected = COMPARISONS.includes(t.text)
        ? 'end of expression (comparisons do not chain; join them with and)'
        : 'an operator or end of expression';
      fail(t, expected);
    }
    return e;
  }

  private parseBinaryLevel(ops: Array<[string, BinaryOp]>, operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      const pair = ops.find(([text]) => (t.kind === 'op' || t.kind === 'name') && t.text === text);
      if (!pair) return left;
      this.next();
      const right = operand();
      left = { type: 'binary', op: pair[1], left, right, pos: left.pos };
    }
  }

  private parseOr(): Expr {
    return this.parseBinaryLevel(
      [
        ['or', 'or'],
        ['||', 'or'],
      ],
      () => this.parseAnd(),
    );
  }

  private parseAnd(): Expr {
    return this.parseBinaryLevel(
      [
        ['and', 'and'],
        ['&&', 'and'],
      ],
      () => this.parseNot(),
    );
  }

  private parseNot(): Expr {
    const t = this.peek();
    if (this.isOp('not', '!')) {
      this.next();
      const operand = this.nest(t, () => this.parseNot());
      return { type: 'unary', op: 'not', operand, pos: t.pos };
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    const left = this.parseAdditive();
    const t = this.peek();
    if (t.kind !== 'op' || !COMPARISONS.includes(t.text)) return left;
    this.next();
    const right = this.parseAdditive();
    return { type: 'binary', op: t.text as BinaryOp, left, right, pos: left.pos };
  }

  private parseAdditive(): Expr {
    return this.parseBinaryLevel(
      [
        ['+', '+'],
        ['-', '-'],
      ],
      () => this.parseMultiplicative(),
    );
  }

  private parseMultiplicative(): Expr {
    return this.parseBinaryLevel(
      [
        ['*', '*'],
        ['/', '/'],
        ['%', '%'],
      ],
      () => this.parseNegate(),
    );
  }

  private parseNegate(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '-') {
      this.next();
      const operand = this.nest(t, () => this.parseNegate());
      return { type: 'unary', op: '-', operand, pos: t.pos };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    let target = this.parsePrimary();
    while (this.isOp('[')) {
      const open = this.next();
      const index = this.nest(open, () => this.parseOr());
      this.expect(']', "']' to close the index");
      target = { type: 'index', target, index, pos: target.pos };
    }
    return target;
  }

  private parsePrimary(): Expr {
    const t = this.next();
    if (t.kind === 'number') {
      const value = Number(t.text);
      if (!Number.isFinite(value))
        throw new ExpressionError(`number '${t.text}' at position ${t.pos} is too large`, t.pos);
      return { type: 'number', value, pos: t.pos };
    }
    if (t.kind === 'op' && t.text === '(') {
      const inner = this.nest(t, () => this.parseOr());
      this.expect(')', "')' to close the parenthesis");
      return inner;
    }
    if (t.kind !== 'name' || KEYWORDS.includes(t.text)) fail(t, PRIMARY_EXPECTED);
    if (t.text === 'true' || t.text === 'false')
      return { type: 'bool', value: t.text === 'true', pos: t.pos };
    if (t.text === 'result') return { type: 'result', pos: t.pos };
    if ((FUNCTION_NAMES as readonly string[]).includes(t.text)) return this.parseCall(t);
    throw new ExpressionError(
      `unknown name '${t.text}' at position ${t.pos}; expected 'result', 'true', 'false' or one of the functions ${FUNCTION_NAMES.join(', ')}`,
      t.pos,
    );
  }

  private parseCall(name: Token): Expr {
    this.expect('(', `'(' after the function name '${name.text}'`);
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.nest(name, () => this.parseOr()));
        if (!this.isOp(',')) break;
        this.next();
      }
    }
    this.expect(')', "',' or ')' in the argument list");
    return { type: 'call', name: name.text as FunctionName, args, pos: name.pos };
  }
}

/**
 * Parses a condition such as `result[0] >= 0.95 and len(result) > 0` into a tree.
 * Throws ExpressionError (with `position`) on any malformed input; never anything else.
 */
export function parseExpression(text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(
      `expression is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed`,
      MAX_EXPRESSION_LENGTH,
    );
  const tokens = tokenize(text);
  if (tokens.length === 1)
    throw new ExpressionError(
      'empty expression; expected a condition such as result[0] >= 0.95',
      0,
    );
  return new Parser(tokens).parseAll();
}
