import fc from 'fast-check';
import {
  readField,
  readFieldPlain,
  readShapedField,
  shapeOf,
  type Json,
  type ShapeMemo,
} from '../src/core/fieldSpelling';

const WANTED = [
  'enableRbac',
  'principalId',
  'properties',
  'roleDefinitionName',
  'scope',
  'id',
  'adminGroupObjectIds',
];

describe('readFieldPlain (the reference)', () => {
  it('takes the exact key first, then the first spelling in key order', () => {
    expect(readFieldPlain({ enable_rbac: 1, enableRBAC: 2 }, 'enableRbac')).toBe(1);
    expect(readFieldPlain({ enable_rbac: 1, enableRbac: 2 }, 'enableRbac')).toBe(2);
    expect(readFieldPlain({ ENABLERBAC: null }, 'enableRbac')).toBeNull();
    expect(readFieldPlain({ other: 1 }, 'enableRbac')).toBeUndefined();
    expect(readFieldPlain(Object.create({ enableRbac: 1 }) as Json, 'enableRbac')).toBeUndefined();
  });
});

describe('the cached readings equal the reference', () => {
  const spellings = (key: string) =>
    fc.constantFrom(
      key,
      key.toUpperCase(),
      key.toLowerCase(),
      key.replace(/([A-Z])/g, '_$1').toLowerCase(),
      `_${key}`,
      `${key}_`,
    );
  const entry = fc.tuple(
    fc.oneof(fc.constantFrom(...WANTED).chain(spellings), fc.string({ maxLength: 6 })),
    fc.oneof(fc.integer(), fc.constant(null), fc.string({ maxLength: 3 })),
  );
  const object = fc.array(entry, { maxLength: 8 }).map((entries) => {
    const obj: Json = {};
    for (const [k, v] of entries) obj[k] = v;
    return obj;
  });

  it('readField and readShapedField, for objects of repeated and changing shapes', () => {
    fc.assert(
      fc.property(
        fc.array(object, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        (objects, repeats) => {
          const memo: ShapeMemo = { last: undefined };
          const sequence = objects.flatMap((o) =>
            Array.from({ length: repeats }, () => ({ ...o })),
          );
          for (const obj of [...sequence, ...sequence.reverse()]) {
            const shape = shapeOf(obj, memo);
            for (const key of WANTED) {
              const expected = readFieldPlain(obj, key);
              expect(readField(obj, key)).toBe(expected);
              expect(readShapedField(obj, shape, key)).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds a non-enumerable own field as the reference does', () => {
    const memo: ShapeMemo = { last: undefined };
    const plain: Json = { id: 'x' };
    readShapedField(plain, shapeOf(plain, memo), 'scope');
    const hidden: Json = { id: 'x' };
    Object.defineProperty(hidden, 'scope', { value: '/s', enumerable: false });
    expect(readShapedField(hidden, shapeOf(hidden, memo), 'scope')).toBe('/s');
    expect(readFieldPlain(hidden, 'scope')).toBe('/s');
  });
});
