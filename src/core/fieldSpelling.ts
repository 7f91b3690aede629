/**
 * Reading a field of a JSON document whatever its spelling (ARCHITECTURE: ARM REST, SDK and `az`
 * spell `enableRBAC`, `enableRbac`, `enable_rbac`): keys compare case-insensitively with
 * underscores ignored, the exact key first.
 *
 * One-line API: `readField(obj, key)`; for many documents of one kind, `readShapedField(obj,
 * shapeOf(obj, memo), key)`, which remembers per set of keys (a "shape") how each wanted key is
 * spelt, so a million role assignments of one export cost one map read per missing field instead
 * of a walk over their keys. `readFieldPlain(obj, key)` below is what both must always return
 * (property-tested in test/fieldSpelling.test.ts): read that one to know what they do.
 */

export type Json = Record<string, unknown>;

/**
 * The reference: the own property spelt exactly `key` (enumerable or not), else the first own
 * enumerable key, in for…in order, equal to `key` once both are lower-cased without underscores.
 */
export function readFieldPlain(obj: Json | null | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const wanted = key.replace(/_/g, '').toLowerCase();
  for (const k in obj) {
    if (
      Object.prototype.hasOwnProperty.call(obj, k) &&
      k.replace(/_/g, '').toLowerCase() === wanted
    )
      return obj[k];
  }
  return undefined;
}

/** The spelling-independent form of a key: `enableRBAC`, `enableRbac`, `enable_rbac` → `enablerbac`. */
const foldedKeys = new Map<string, string>();
function fold(key: string): string {
  let folded = foldedKeys.get(key);
  if (folded === undefined) {
    folded = key.replace(/_/g, '').toLowerCase();
    // Keys repeat across millions of role assignments; unbounded growth would only come from
    // hostile input, so stop caching past a generous size instead of evicting.
    if (foldedKeys.size < 10_000) foldedKeys.set(key, folded);
  }
  return folded;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether `k`, a key of the object being searched, can be a spelling of the folded key `wanted`:
 * only a key of the same length, or a longer one with underscores, can fold to it. This skips
 * almost every key without folding it (and is part of the lookup's contract: see `Shape.spellingOf`).
 */
function couldSpell(k: string, wanted: string): boolean {
  return (
    (k.length === wanted.length || (k.length > wanted.length && k.indexOf('_') !== -1)) &&
    fold(k) === wanted
  );
}

/** The first own enumerable key of `obj`, in for…in order, that spells `key`; the reference lookup. */
function scan(obj: Json, key: string): unknown {
  const wanted = fold(key);
  // for…in rather than Object.keys: no array per lookup.
  for (const k in obj) {
    if (couldSpell(k, wanted) && hasOwn.call(obj, k)) return obj[k];
  }
  return undefined;
}

/**
 * The value of `key` in `obj`, whatever its spelling. `key` is given in its usual camelCase
 * form; an exact match is tried first because nearly every input spells it that way.
 * Returns `undefined` when absent; `null` when present and null.
 */
export function readField(obj: Json | null | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (hasOwn.call(obj, key)) return obj[key];
  return scan(obj, key);
}

/** A sub-object, or `undefined` when absent, `null` or not an object. */
export function readObject(obj: Json | null | undefined, key: string): Json | undefined {
  const value = readField(obj, key);
  return isObject(value) ? value : undefined;
}

/**
 * The keys of one kind of object, in for…in order, and how each wanted key is spelt among them.
 * A million role assignments from one export share one shape: working out once per shape that
 * `properties` or `roleDefinitionName` is absent, or is spelt `role_definition_name`, turns every
 * later miss into one map read instead of a walk over the object's keys.
 */
export class Shape {
  private readonly spellings = new Map<string, string | null>();
  constructor(readonly keys: readonly string[]) {}

  /** Whether `key` is one of the keys exactly as spelt. */
  has(key: string): boolean {
    return this.keys.indexOf(key) !== -1;
  }

  /** The first key that could spell `key` (the one `scan` would look at first), or null for none. */
  spellingOf(key: string): string | null {
    let spelt = this.spellings.get(key);
    if (spelt === undefined) {
      spelt = null;
      const wanted = fold(key);
      for (const k of this.keys) {
        if (couldSpell(k, wanted)) {
          spelt = k;
          break;
        }
      }
      // The wanted keys are this module's field names: a bounded set. The cap is only a guard.
      if (this.spellings.size < 1_000) this.spellings.set(key, spelt);
    }
    return spelt;
  }
}

/** Shapes by their keys joined; capped, so input of ever-changing keys cannot grow it without bound. */
const shapes = new Map<string, Shape>();
const MAX_SHAPES = 2_000;

/** The shape most recently seen at one place (cluster documents, role assignments, their `properties`). */
export interface ShapeMemo {
  last: Shape | undefined;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The shape of `obj`: its for…in keys, exactly. The common case (the same keys, in the same
 * order, as the previous object of its kind) is confirmed by one walk over the keys, with no
 * allocation. Undefined when the object's shape is not cached (too many shapes): look up by scanning.
 */
export function shapeOf(obj: Json, memo: ShapeMemo): Shape | undefined {
  const last = memo.last;
  if (last !== undefined) {
    const expected = last.keys;
    let i = 0;
    let same = true;
    for (const k in obj) {
      if (i >= expected.length || k !== expected[i]) {
        same = false;
        break;
      }
      i++;
    }
    if (same && i === expected.length) return last;
  }
  const keys: string[] = [];
  for (const k in obj) keys.push(k);
  // A key may itself contain the separator: a hit is confirmed key by key.
  const id = keys.join('\u0000');
  let shape = shapes.get(id);
  if (shape === undefined || !sameKeys(shape.keys, keys)) {
    if (shapes.size >= MAX_SHAPES) return undefined;
    shape = new Shape(keys);
    shapes.set(id, shape);
  }
  memo.last = shape;
  return shape;
}

/**
 * `get(obj, key)`, with the walk over the keys replaced by the shape's answer. Exactly the same
 * result: the exact key first (own, enumerable or not); then the first for…in key that could spell
 * `key` when it is an own key. `shape` must be `shapeOf(obj)`, with `obj` unchanged since.
 */
export function readShapedField(obj: Json, shape: Shape | undefined, key: string): unknown {
  if (hasOwn.call(obj, key)) return obj[key];
  if (shape === undefined) return scan(obj, key);
  const spelt = shape.spellingOf(key);
  // No key of the object could spell it: that is what the scan would find too.
  if (spelt === null) return undefined;
  if (hasOwn.call(obj, spelt)) return obj[spelt];
  // An inherited enumerable key came first (never in parsed JSON): let the scan decide.
  return scan(obj, key);
}
