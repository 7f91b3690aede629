/**
 * The document reading every normaliser shares (core/normalise, core/normaliseCluster): a
 * resource document's fields wherever its shape puts them (`properties.*` in ARM REST, the top
 * level in the SDK and `az` shapes), and the coercions that name the entry and the field when a
 * value is of the wrong kind. Pure.
 */
import { InputError } from './errors';
import {
  isObject,
  readShapedField,
  Shape,
  shapeOf,
  type Json,
  type ShapeMemo,
} from './fieldSpelling';

/** Where each kind of document last saw its shapes. */
export interface DocKind {
  top: ShapeMemo;
  properties: ShapeMemo;
}
export function docKind(): DocKind {
  return { top: { last: undefined }, properties: { last: undefined } };
}

/**
 * A resource document's fields, wherever its shape puts them: under `properties` (ARM REST)
 * or at the top level (SDK, `az`). `properties` wins when both carry a field.
 */
export class Doc {
  readonly properties: Json | undefined;
  private readonly rawShape: Shape | undefined;
  private readonly propertiesShape: Shape | undefined;
  constructor(
    readonly raw: Json,
    readonly where: string,
    kind: DocKind,
    /** `shapeOf(raw, kind.top)` when the caller has it already. */
    rawShape: Shape | undefined = shapeOf(raw, kind.top),
  ) {
    this.rawShape = rawShape;
    const properties = readShapedField(raw, this.rawShape, 'properties');
    if (isObject(properties)) {
      this.properties = properties;
      this.propertiesShape = shapeOf(properties, kind.properties);
    } else {
      this.properties = undefined;
      this.propertiesShape = undefined;
    }
  }

  field(key: string): unknown {
    if (this.properties) {
      const nested = readShapedField(this.properties, this.propertiesShape, key);
      if (nested !== undefined) return nested;
    }
    return readShapedField(this.raw, this.rawShape, key);
  }

  object(key: string): Json | undefined {
    const value = this.field(key);
    return isObject(value) ? value : undefined;
  }

  /** Top level only: `id`, `name`, `identity`, `location` live outside `properties` in ARM. */
  top(key: string): unknown {
    return readShapedField(this.raw, this.rawShape, key);
  }

  /** Under `properties` only (undefined when there are none). */
  nested(key: string): unknown {
    return this.properties
      ? readShapedField(this.properties, this.propertiesShape, key)
      : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Value coercion (each names the entry and field on failure)
// ---------------------------------------------------------------------------------------------

export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** true/false, or the strings "true"/"false" (any case); undefined when absent or null. */
export function toBoolean(value: unknown, where: string, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  throw new InputError(`${where}: "${field}" is ${describe(value)}, expected true or false`);
}

/**
 * Whether `text` is empty or only white space (as `trim` sees it). Nearly every value starts with
 * a printable ASCII character, which settles it without making a trimmed copy.
 */
export function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first > 32 && first < 127) return false;
  return text.trim() === '';
}

/** A non-blank string, kept exactly as given (ids are echoed, never trimmed), or undefined. */
export function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return isBlank(value) ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** An array of strings, or undefined when absent or null. Blank entries are kept out. */
export function toStringArray(value: unknown, where: string, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw new InputError(
      `${where}: "${field}" is ${describe(value)}, expected an array of strings`,
    );
  const out: string[] = [];
  for (const item of value) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string')
      throw new InputError(
        `${where}: "${field}" contains ${describe(item)}, expected strings only`,
      );
    if (!isBlank(item)) out.push(item);
  }
  return out;
}

export function requireObject(raw: unknown, where: string): Json {
  if (!isObject(raw))
    throw new InputError(`${where}: entry has no "id" (it is ${describe(raw)}, not an object)`);
  return raw;
}

export function requireId(id: unknown, where: string): string {
  if (typeof id !== 'string' || isBlank(id)) throw new InputError(`${where}: entry has no "id"`);
  return id;
}
