// The syntax tree of analysis conditions and its printer. The printer emits the fewest
// parentheses that keep the tree, so `parseExpression(printExpression(e))` rebuilds `e`
// (apart from positions); it is also how conditions are quoted in measurement messages.

export const FUNCTION_NAMES = ['len', 'abs', 'min', 'max', 'sum', 'avg'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export const BINARY_OPS = [
  'or',
  'and',
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
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const UNARY_OPS = ['-', 'not'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** `pos` is the character offset where the node's text starts in the source. */
export type Expr =
  | { type: 'number'; value: number; pos: number }
  | { type: 'bool'; value: boolean; pos: number }
  | { type: 'result'; pos: number }
  | { type: 'index'; target: Expr; index: Expr; pos: number }
  | { type: 'call'; name: FunctionName; args: Expr[]; pos: number }
  | { type: 'unary'; op: UnaryOp; operand: Expr; pos: number }
  | { type: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: number };

/** Binding strength, loosest first. Comparisons do not chain (`a < b < c` is rejected). */
export const PRECEDENCE = {
  or: 1,
  and: 2,
  not: 3,
  compare: 4,
  additive: 5,
  multiplicative: 6,
  negate: 7,
  postfix: 8,
} as const;

export function binaryPrecedence(op: BinaryOp): number {
  switch (op) {
    case 'or':
      return PRECEDENCE.or;
    case 'and':
      return PRECEDENCE.and;
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return PRECEDENCE.compare;
    case '+':
    case '-':
      return PRECEDENCE.additive;
    case '*':
    case '/':
    case '%':
      return PRECEDENCE.multiplicative;
    default: {
      const never: never = op;
      throw new Error(`unknown operator ${String(never)}`);
    }
  }
}

function precedenceOf(e: Expr): number {
  switch (e.type) {
    case 'number':
    case 'bool':
    case 'result':
    case 'index':
    case 'call':
      return PRECEDENCE.postfix;
    case 'unary':
      return e.op === 'not' ? PRECEDENCE.not : PRECEDENCE.negate;
    case 'binary':
      return binaryPrecedence(e.op);
    default: {
      const never: never = e;
      throw new Error(`unknown node ${JSON.stringify(never)}`);
    }
  }
}

function wrap(e: Expr, parens: boolean): string {
  const text = printExpression(e);
  return parens ? `(${text})` : text;
}

/** Prints an expression in canonical form: `and`/`or`/`not` words, minimal parentheses. */
export function printExpression(e: Expr): string {
  switch (e.type) {
    case 'number':
      return String(e.value);
    case 'bool':
      return e.value ? 'true' : 'false';
    case 'result':
      return 'result';
    case 'index':
      return `${wrap(e.target, precedenceOf(e.target) < PRECEDENCE.postfix)}[${printExpression(e.index)}]`;
    case 'call':
      return `${e.name}(${e.args.map(printExpression).join(', ')})`;
    case 'unary': {
      if (e.op === 'not') return `not ${wrap(e.operand, precedenceOf(e.operand) < PRECEDENCE.not)}`;
      // A space keeps `- -1` from reading as one token in other tools; ours accepts both.
      const inner = wrap(e.operand, precedenceOf(e.operand) < PRECEDENCE.negate);
      return inner.startsWith('-') ? `- ${inner}` : `-${inner}`;
    }
    case 'binary': {
      const p = binaryPrecedence(e.op);
      // Left-associative: a right operand of equal strength needs parentheses; comparisons
      // never chain, so an equal-strength comparison on either side does too.
      const leftParens =
        precedenceOf(e.left) < p || (p === PRECEDENCE.compare && precedenceOf(e.left) === p);
      const rightParens = precedenceOf(e.right) <= p;
      return `${wrap(e.left, leftParens)} ${e.op} ${wrap(e.right, rightParens)}`;
    }
    default: {
      const never: never = e;
      throw new Error(`unknown node ${JSON.stringify(never)}`);
    }
  }
}
