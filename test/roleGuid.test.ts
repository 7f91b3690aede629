import fc from 'fast-check';
import { roleDefinitionGuid, roleDefinitionGuidPlain } from '../src/core/roleGuid';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';

describe('roleDefinitionGuidPlain (the reference)', () => {
  it.each([
    [
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C`,
      'b24988ac-6180-42a0-ab88-20f7382dd24c',
    ],
    [
      '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7/ ',
      'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    ],
    ['  8E3AF657-A8FF-443C-A75C-2FE8C4BCB635 ', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'],
    ['///', ''],
    ['', ''],
  ])('%j → %j', (id, guid) => {
    expect(roleDefinitionGuidPlain(id)).toBe(guid);
    expect(roleDefinitionGuid(id)).toBe(guid);
  });
});

describe('roleDefinitionGuid (interned) equals the reference', () => {
  const guidish = fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.constantFrom(
      'b24988ac-6180-42a0-ab88-20f7382dd24c',
      'B24988AC-6180-42A0-AB88-20F7382DD24C',
      'x',
      'İd',
      'ab\u00a0',
      '\ufeffab',
      'a b',
    ),
    fc.string({ maxLength: 70 }),
  );
  const id = fc
    .tuple(
      fc.constantFrom(
        '',
        '/',
        `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/`,
        '/providers/Microsoft.Authorization/roleDefinitions/',
        ' ',
      ),
      guidish,
      fc.constantFrom('', '/', '//', ' ', ' / ', '\t', '\u00a0'),
    )
    .map(([prefix, guid, suffix]) => `${prefix}${guid}${suffix}`);

  it('for ids met once or many times, in any case', () => {
    fc.assert(
      fc.property(fc.array(id, { minLength: 1, maxLength: 30 }), (ids) => {
        for (const each of [...ids, ...ids, ...ids.map((i) => i.toUpperCase())]) {
          expect(roleDefinitionGuid(each)).toBe(roleDefinitionGuidPlain(each));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('shares one string per guid between ids that spell it differently', () => {
    const a = roleDefinitionGuid(
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7`,
    );
    const b = roleDefinitionGuid(
      '/providers/Microsoft.Authorization/roleDefinitions/4D97B98B-1D4F-4787-A291-C67834D212E7',
    );
    expect(a).toBe('4d97b98b-1d4f-4787-a291-c67834d212e7');
    expect(b).toBe(a);
  });

  it('stays right past the table size, when many guids share their last characters', () => {
    const ids = Array.from(
      { length: 9000 },
      (_, i) =>
        `/providers/Microsoft.Authorization/roleDefinitions/${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    );
    for (const each of [...ids, ...ids.map((i) => i.toUpperCase())])
      expect(roleDefinitionGuid(each)).toBe(roleDefinitionGuidPlain(each));
  });
});
