/**
 * The offline check that stands in for the Bicep compiler: every resource of every .bicep file
 * (tree-sitter-bicep) is validated against the official type definitions of its type@apiVersion
 * (Azure/bicep-types-az, stored for exactly those pairs in test/infra/bicep-types/types.json by
 * its refresh.js): known property paths, value kinds, enums (string literal unions, also through
 * a parameter's @allowed list), string length and pattern, integer bounds, required and
 * read-only properties, discriminated objects. An expression whose value cannot be known here
 * (a function call, a module output) is not judged; literals, variables, parameters, ternaries,
 * interpolations, arrays, objects and for-loops are. Run from bicep.test.ts: tree-sitter's
 * native binding is loaded once per test file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deref, literal, properties, type BicepFile, type Node, type Project } from './bicepModel';

interface Ref {
  $ref: string;
}
interface TypeEntry {
  $type: string;
  name?: string;
  value?: string;
  body?: Ref;
  itemType?: Ref;
  additionalProperties?: Ref;
  elements?: Ref[] | Record<string, Ref>;
  discriminator?: string;
  properties?: Record<string, { type: Ref; flags: number }>;
  baseProperties?: Record<string, { type: Ref; flags: number }>;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minValue?: number;
  maxValue?: number;
}
interface TypeData {
  source: string;
  refreshed: string;
  resources: Record<string, Ref>;
  types: TypeEntry[];
}

export const TYPES_FILE = 'test/infra/bicep-types/types.json';
export const DATA = JSON.parse(
  readFileSync(join(__dirname, 'bicep-types', 'types.json'), 'utf8'),
) as TypeData;
const REQUIRED = 1;
const READ_ONLY = 2;
/** Keys of a resource body that are Bicep's, not the resource type's. */
const BICEP_KEYS = new Set(['parent', 'scope', 'dependsOn']);

function resolve(ref: Ref): TypeEntry {
  return DATA.types[Number(ref.$ref.slice(2))];
}

type Kind = 'string' | 'int' | 'bool' | 'object' | 'array' | 'null' | 'unknown';

interface Context {
  file: BicepFile;
  at: string;
  problems: string[];
}

/** The literal values a string-ish type accepts (a literal, or a union of them), or undefined = any string. */
function literalValues(type: TypeEntry): string[] | undefined {
  if (type.$type === 'StringLiteralType') return [type.value ?? ''];
  if (type.$type === 'UnionType' && Array.isArray(type.elements)) {
    const values: string[] = [];
    for (const element of type.elements.map(resolve)) {
      const inner = literalValues(element);
      if (inner === undefined)
        return element.$type === 'StringType' || element.$type === 'AnyType' ? undefined : values;
      values.push(...inner);
    }
    return values;
  }
  return undefined;
}

function kindOf(type: TypeEntry): Kind[] {
  switch (type.$type) {
    case 'StringType':
    case 'StringLiteralType':
      return ['string'];
    case 'IntegerType':
      return ['int'];
    case 'BooleanType':
      return ['bool'];
    case 'ObjectType':
    case 'DiscriminatedObjectType':
      return ['object'];
    case 'ArrayType':
      return ['array'];
    case 'UnionType':
      return (type.elements as Ref[]).flatMap((e) => kindOf(resolve(e)));
    default:
      return ['unknown'];
  }
}

/** The kind of a parameter from its declared type. */
function paramKind(file: BicepFile, name: string): { kind: Kind; allowed?: string[] } {
  const param = file.params.get(name);
  const declared = param?.node.namedChildren[1]?.text ?? '';
  const kind: Kind =
    declared === 'string'
      ? 'string'
      : declared === 'int'
        ? 'int'
        : declared === 'bool'
          ? 'bool'
          : declared === 'object'
            ? 'object'
            : declared === 'array'
              ? 'array'
              : 'unknown';
  return { kind, allowed: param?.allowed };
}

function checkValue(
  ctx: Context,
  node: Node | undefined,
  type: TypeEntry,
  path: string,
  depth = 0,
): void {
  if (!node || depth > 40) return;
  const value = deref(ctx.file, node) ?? node;
  if (value.type === 'ternary_expression') {
    checkValue(ctx, value.childForFieldName('consequence') ?? undefined, type, path, depth + 1);
    checkValue(ctx, value.childForFieldName('alternative') ?? undefined, type, path, depth + 1);
    return;
  }
  if (value.type === 'null') return;
  if (type.$type === 'AnyType') return;
  const expected = kindOf(type);
  const mismatch = (actual: string): void => {
    ctx.problems.push(
      `${ctx.at} ${path}: expected ${expected.join(' | ')}, got ${actual} (${value.text.slice(0, 60)})`,
    );
  };

  if (value.type === 'identifier' && ctx.file.params.has(value.text)) {
    const { kind, allowed } = paramKind(ctx.file, value.text);
    if (kind !== 'unknown' && !expected.includes(kind) && !expected.includes('unknown'))
      mismatch(`parameter ${value.text} of type ${kind}`);
    const accepted = literalValues(type);
    if (accepted && allowed)
      for (const a of allowed)
        if (!accepted.includes(a))
          ctx.problems.push(
            `${ctx.at} ${path}: parameter ${value.text} allows '${a}', not one of ${accepted.join(', ')}`,
          );
    return;
  }

  switch (value.type) {
    case 'string': {
      if (!expected.includes('string') && !expected.includes('unknown'))
        return mismatch('a string');
      const text = literal(value);
      if (text === undefined) return; // interpolated: a string of unknown content
      const accepted = literalValues(type);
      if (accepted && !accepted.includes(text))
        return void ctx.problems.push(
          `${ctx.at} ${path}: '${text}' is not one of ${accepted.join(', ')}`,
        );
      const stringType = type.$type === 'StringType' ? type : undefined;
      if (stringType?.minLength !== undefined && text.length < stringType.minLength)
        ctx.problems.push(`${ctx.at} ${path}: '${text}' is shorter than ${stringType.minLength}`);
      if (stringType?.maxLength !== undefined && text.length > stringType.maxLength)
        ctx.problems.push(`${ctx.at} ${path}: '${text}' is longer than ${stringType.maxLength}`);
      if (stringType?.pattern !== undefined && !new RegExp(stringType.pattern).test(text))
        ctx.problems.push(`${ctx.at} ${path}: '${text}' does not match ${stringType.pattern}`);
      return;
    }
    case 'number': {
      if (!expected.includes('int') && !expected.includes('unknown')) return mismatch('a number');
      const n = Number(value.text);
      if (type.minValue !== undefined && n < type.minValue)
        ctx.problems.push(`${ctx.at} ${path}: ${n} is below ${type.minValue}`);
      if (type.maxValue !== undefined && n > type.maxValue)
        ctx.problems.push(`${ctx.at} ${path}: ${n} is above ${type.maxValue}`);
      return;
    }
    case 'boolean':
      if (!expected.includes('bool') && !expected.includes('unknown')) mismatch('a boolean');
      return;
    case 'array': {
      if (!expected.includes('array') && !expected.includes('unknown')) return mismatch('an array');
      const arrayType =
        type.$type === 'ArrayType'
          ? type
          : (type.elements as Ref[] | undefined)?.map(resolve).find((e) => e.$type === 'ArrayType');
      if (!arrayType?.itemType) return;
      value.namedChildren
        .filter((n) => n.type !== 'comment')
        .forEach((item, i) =>
          checkValue(ctx, item, resolve(arrayType.itemType as Ref), `${path}[${i}]`, depth + 1),
        );
      return;
    }
    case 'for_statement': {
      if (!expected.includes('array') && !expected.includes('unknown'))
        return mismatch('a for-loop array');
      const arrayType = type.$type === 'ArrayType' ? type : undefined;
      const body =
        value.childForFieldName('body') ?? value.namedChildren[value.namedChildren.length - 1];
      if (arrayType?.itemType)
        checkValue(ctx, body, resolve(arrayType.itemType), `${path}[*]`, depth + 1);
      return;
    }
    case 'object': {
      if (!expected.includes('object') && !expected.includes('unknown'))
        return mismatch('an object');
      const objectType =
        type.$type === 'UnionType'
          ? (type.elements as Ref[])
              .map(resolve)
              .find((e) => e.$type === 'ObjectType' || e.$type === 'DiscriminatedObjectType')
          : type;
      if (objectType) checkObject(ctx, value, objectType, path, depth + 1);
      return;
    }
    default:
      return; // a call, a member access, an operator: not known here
  }
}

function checkObject(
  ctx: Context,
  object: Node,
  type: TypeEntry,
  path: string,
  depth: number,
  options: { resourceBody?: boolean; existing?: boolean } = {},
): void {
  let props = type.properties ?? {};
  if (type.$type === 'DiscriminatedObjectType') {
    const discriminator = type.discriminator ?? '';
    const chosen = literal(
      deref(ctx.file, properties(object).find((p) => p.key === discriminator)?.value),
    );
    const elements = type.elements as Record<string, Ref>;
    if (chosen === undefined) return; // decided by an expression: not known here
    const element = elements[chosen];
    if (!element)
      return void ctx.problems.push(
        `${ctx.at} ${path}${path ? '.' : ''}${discriminator}: '${chosen}' is not one of ${Object.keys(elements).join(', ')}`,
      );
    props = { ...(type.baseProperties ?? {}), ...(resolve(element).properties ?? {}) };
  }
  const given = properties(object);
  for (const { key, value } of given) {
    const where = path ? `${path}.${key}` : key;
    if (options.resourceBody && BICEP_KEYS.has(key)) continue;
    const prop =
      props[key] ??
      Object.entries(props).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
    if (!prop) {
      if (type.additionalProperties)
        checkValue(ctx, value, resolve(type.additionalProperties), where, depth + 1);
      else
        ctx.problems.push(
          `${ctx.at} ${where}: not a property of this type (known: ${Object.keys(props).sort().join(', ')})`,
        );
      continue;
    }
    if (prop.flags & READ_ONLY && !(prop.flags & REQUIRED) && !options.existing)
      ctx.problems.push(`${ctx.at} ${where}: read-only, cannot be set`);
    if (!options.existing) checkValue(ctx, value, resolve(prop.type), where, depth + 1);
  }
  if (options.existing) return;
  const keys = new Set(given.map((g) => g.key.toLowerCase()));
  for (const [name, prop] of Object.entries(props)) {
    if (!(prop.flags & REQUIRED) || keys.has(name.toLowerCase())) continue;
    if (options.resourceBody && ['type', 'apiversion', 'id'].includes(name.toLowerCase())) continue;
    ctx.problems.push(`${ctx.at} ${path ? `${path}.` : ''}${name}: required, missing`);
  }
}

/** The problems of every resource of the project, and the type@apiVersions without type data. */
export function validate(p: Project): string[] {
  const problems: string[] = [];
  for (const file of p.files) {
    for (const resource of file.resources) {
      const declared =
        literal(resource.node.namedChildren.filter((n) => n.type !== 'comment')[1]) ?? '';
      const at = `${file.path}:${resource.node.startPosition.row + 1} ${resource.symbol} (${declared})`;
      const key = Object.keys(DATA.resources).find(
        (k) => k.toLowerCase() === declared.toLowerCase(),
      );
      if (!key) {
        problems.push(
          `${at}: no type definitions for ${declared} in ${TYPES_FILE}; add them with \`node test/infra/bicep-types/refresh.js\` (from GitHub, or --from a checkout of Azure/bicep-types-az) and commit the file`,
        );
        continue;
      }
      const resourceType = resolve(DATA.resources[key]);
      const body = resolve(resourceType.body as Ref);
      checkObject({ file, at, problems }, resource.body, body, '', 0, {
        resourceBody: true,
        existing: resource.existing,
      });
    }
  }
  return problems;
}
