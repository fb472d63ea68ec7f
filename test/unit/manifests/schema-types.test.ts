import { expect } from 'chai';
import ts from 'typescript';
import {
  ANALYSIS_RUN_SCHEMA,
  ANALYSIS_TEMPLATE_SCHEMA,
  OBJECT_META_SCHEMA,
  ROLLOUT_SCHEMA,
  SLO_SCHEMA,
  type JsonSchema,
} from '../../../src/adapters/kubernetes/crd-schemas.js';
import { repoPath } from './helpers.js';

// Walks the interfaces of src/domain/types.ts with the TypeScript checker beside the CRD
// schemas, so a field added to one and not the other fails here, not in a cluster.

type Mismatch = string;

function primitiveOf(checker: ts.TypeChecker, type: ts.Type): string | undefined {
  const parts = type.isUnion() ? type.types : [type];
  const kinds = new Set<string>();
  for (const t of parts) {
    if (t.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) kinds.add('string');
    else if (t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) kinds.add('number');
    else if (t.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) kinds.add('boolean');
    else if (t.flags & ts.TypeFlags.Undefined) continue;
    else return undefined;
  }
  if (kinds.size !== 1) throw new Error(`mixed primitive type ${checker.typeToString(type)}`);
  return [...kinds][0];
}

function literalValues(type: ts.Type): string[] | undefined {
  const parts = type.isUnion() ? type.types : [type];
  const values: string[] = [];
  for (const t of parts) {
    if (t.flags & ts.TypeFlags.Undefined) continue;
    if (!t.isStringLiteral()) return undefined;
    values.push(t.value);
  }
  return values.sort();
}

function compare(
  checker: ts.TypeChecker,
  type: ts.Type,
  schema: JsonSchema,
  at: string,
  out: Mismatch[],
): void {
  const nonNull = checker.getNonNullableType(type);
  const prim = primitiveOf(checker, nonNull);
  if (prim !== undefined) {
    const ok =
      prim === 'number'
        ? schema.type === 'integer' || schema.type === 'number'
        : schema.type === prim;
    if (!ok) out.push(`${at}: type ${prim} but schema says ${String(schema.type)}`);
    const literals = literalValues(nonNull);
    if (literals !== undefined && literals.length > 0 && prim === 'string') {
      const isNarrowString = !(nonNull.flags & ts.TypeFlags.String);
      if (
        isNarrowString &&
        JSON.stringify([...(schema.enum ?? [])].sort()) !== JSON.stringify(literals)
      )
        out.push(`${at}: enum ${literals.join('|')} but schema says ${String(schema.enum)}`);
    }
    return;
  }
  if (checker.isArrayType(nonNull)) {
    if (schema.type !== 'array' || !schema.items) {
      out.push(`${at}: array but schema says ${String(schema.type)}`);
      return;
    }
    const [element] = checker.getTypeArguments(nonNull as ts.TypeReference);
    if (element) compare(checker, element, schema.items, `${at}[]`, out);
    return;
  }
  if (schema.type !== 'object') {
    out.push(`${at}: object but schema says ${String(schema.type)}`);
    return;
  }
  // An opaque object kept as written (e.g. a flag provider's snapshot): any map type fits it.
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties) return;
  if (checker.getIndexInfosOfType(nonNull).length > 0) {
    if (typeof schema.additionalProperties !== 'object')
      out.push(`${at}: map without additionalProperties`);
    return;
  }
  // A union of object shapes (CanaryStep) is modelled as one object whose keys are all optional.
  const members = nonNull.isUnion() ? nonNull.types : [nonNull];
  const props = new Map<string, { type: ts.Type; optional: boolean }>();
  for (const member of members) {
    for (const sym of checker.getPropertiesOfType(member)) {
      const optional = members.length > 1 || (sym.flags & ts.SymbolFlags.Optional) !== 0;
      props.set(sym.name, { type: checker.getTypeOfSymbol(sym), optional });
    }
  }
  const schemaKeys = Object.keys(schema.properties ?? {});
  for (const key of schemaKeys)
    if (!props.has(key)) out.push(`${at}.${key}: in the schema but not in types.ts`);
  for (const [key, { type: propType, optional }] of props) {
    const child = schema.properties?.[key];
    if (!child) {
      out.push(`${at}.${key}: in types.ts but not in the schema`);
      continue;
    }
    const required = (schema.required ?? []).includes(key);
    if (required === optional)
      out.push(
        `${at}.${key}: ${optional ? 'optional' : 'required'} in types.ts, not in the schema`,
      );
    if (key === 'metadata' && child.properties === undefined) continue; // checked on its own
    compare(checker, propType, child, `${at}.${key}`, out);
  }
}

describe('CRD schemas and src/domain/types.ts', function () {
  // apiVersion and kind are fixed literals in types.ts; the API server owns them in the CRD
  // (parse.ts pins them), so the comparison takes the literals from types.ts.
  const literalsOf = (type: ts.Type, key: string): string[] => {
    const sym = type.getProperty(key);
    return sym ? (literalValues(checker.getTypeOfSymbol(sym)) ?? []) : [];
  };

  this.timeout(60_000);
  let checker: ts.TypeChecker;
  let types: Map<string, ts.Type>;

  before(() => {
    const files = [repoPath('src/domain/types.ts'), repoPath('src/domain/slo/types.ts')];
    const program = ts.createProgram(files, {
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      types: [],
    });
    checker = program.getTypeChecker();
    types = new Map();
    for (const file of files) {
      const source = program.getSourceFile(file);
      if (!source) throw new Error(`${file} not found`);
      const moduleSymbol = checker.getSymbolAtLocation(source);
      if (!moduleSymbol) throw new Error(`${file} has no module symbol`);
      for (const sym of checker.getExportsOfModule(moduleSymbol))
        types.set(sym.name, checker.getDeclaredTypeOfSymbol(sym));
    }
  });

  const cases: Array<[string, JsonSchema, string[]]> = [
    ['Rollout', ROLLOUT_SCHEMA, ['apiVersion', 'kind']],
    ['AnalysisTemplate', ANALYSIS_TEMPLATE_SCHEMA, ['apiVersion', 'kind']],
    ['AnalysisRun', ANALYSIS_RUN_SCHEMA, ['apiVersion', 'kind']],
    ['ObjectMeta', OBJECT_META_SCHEMA, []],
    ['ServiceLevelObjective', SLO_SCHEMA, ['apiVersion', 'kind']],
  ];
  for (const [name, schema, loose] of cases) {
    it(`describe every field of ${name} with the same type, optionality and enum values`, () => {
      const type = types.get(name);
      if (!type) throw new Error(`types.ts exports no ${name}`);
      const relaxed: JsonSchema = {
        ...schema,
        // ...required or not as types.ts has them (a parsed SLO may omit them).
        required: [
          ...(schema.required ?? []),
          ...loose.filter(
            (k) => ((type.getProperty(k)?.flags ?? 0) & ts.SymbolFlags.Optional) === 0,
          ),
        ],
        properties: Object.fromEntries(
          Object.entries(schema.properties ?? {}).map(([k, v]) => [
            k,
            loose.includes(k) ? { ...v, enum: literalsOf(type, k) } : v,
          ]),
        ),
      };
      if (name !== 'ObjectMeta') relaxed.required = [...(relaxed.required ?? []), 'metadata'];
      const out: Mismatch[] = [];
      compare(checker, type, relaxed, name, out);
      expect(out).to.deep.equal([]);
    });
  }

  it('notices a field missing from a schema (the check can fail)', () => {
    const type = types.get('ObjectMeta');
    if (!type) throw new Error('types.ts exports no ObjectMeta');
    const { labels: _dropped, ...rest } = OBJECT_META_SCHEMA.properties ?? {};
    const out: Mismatch[] = [];
    compare(checker, type, { ...OBJECT_META_SCHEMA, properties: rest }, 'ObjectMeta', out);
    expect(out).to.deep.equal(['ObjectMeta.labels: in types.ts but not in the schema']);
  });
});
