import { expect } from 'chai';
import fc from 'fast-check';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  jsonEqual,
} from '../../src/sandbox/apiserver/patch.js';
import { parseLabelSelector } from '../../src/sandbox/apiserver/selectors.js';

const key = fc.constantFrom('a', 'b', 'c', 'name', 'x/y', 'm~n');
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean());
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
})).value;
const doc = fc.dictionary(key, json, { maxKeys: 4 });
const patchDoc = fc.dictionary(key, fc.oneof(json, fc.constant(null)), { maxKeys: 4 });

const pointer = (k: string): string => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;

describe('sandbox API server patch and selector properties', () => {
  it('applies a merge patch idempotently and never leaves a key the patch set to null', () => {
    fc.assert(
      fc.property(doc, patchDoc, (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(jsonEqual(applyMergePatch(once, patch), once)).to.equal(true);
        for (const [k, v] of Object.entries(patch)) {
          if (v === null) expect(once).to.not.have.property(k);
        }
      }),
    );
  });

  it('makes a JSON patch add followed by remove of a new key a no-op, and leaves the input untouched', () => {
    fc.assert(
      fc.property(doc, json, (target, value) => {
        const fresh = 'fresh~key/1';
        const before = structuredClone(target);
        const out = applyJsonPatch(target, [
          { op: 'add', path: pointer(fresh), value },
          { op: 'test', path: pointer(fresh), value },
          { op: 'remove', path: pointer(fresh) },
        ]);
        expect(jsonEqual(out, target)).to.equal(true);
        expect(target).to.deep.equal(before);
      }),
    );
  });

  it('merges keyed lists in a strategic merge patch without losing items the patch does not name', () => {
    const container = fc.record({
      name: fc.constantFrom('app', 'sidecar', 'init'),
      image: fc.string({ maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(container, { selector: (c) => c.name }),
        fc.uniqueArray(container, { selector: (c) => c.name }),
        (current, patch) => {
          const out = applyStrategicMergePatch({ containers: current }, { containers: patch }) as {
            containers: { name: string; image: string }[];
          };
          const names = new Set([...current, ...patch].map((c) => c.name));
          expect(new Set(out.containers.map((c) => c.name))).to.deep.equal(names);
          for (const p of patch)
            expect(out.containers.find((c) => c.name === p.name)?.image).to.equal(p.image);
        },
      ),
    );
  });

  it('matches label selectors like their definition: in = any of, notin = none of or absent', () => {
    const labelKey = fc.constantFrom('app', 'tier', 'env');
    const value = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(
        fc.dictionary(labelKey, value),
        labelKey,
        fc.uniqueArray(value, { minLength: 1 }),
        (labels, k, values) => {
          const has = Object.prototype.hasOwnProperty.call(labels, k);
          const inSet = has && (values as string[]).includes(labels[k] ?? '');
          expect(parseLabelSelector(`${k} in (${values.join(',')})`)(labels)).to.equal(inSet);
          expect(parseLabelSelector(`${k} notin (${values.join(', ')})`)(labels)).to.equal(!inSet);
          expect(parseLabelSelector(k)(labels)).to.equal(has);
          expect(parseLabelSelector(`!${k}`)(labels)).to.equal(!has);
        },
      ),
    );
  });
});
