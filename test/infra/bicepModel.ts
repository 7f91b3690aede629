/**
 * A small model of the Bicep files under infra/ (and the azd texts beside them), parsed with
 * tree-sitter-bicep: parameters with their decorators, variables, resources, modules and
 * outputs, plus the helpers the infra tests walk it with. There is no Bicep compiler here, so
 * this is what the shape tests (bicep.test.ts) and the type check (bicepTypes.test.ts) read.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import Parser = require('tree-sitter');

const Bicep = require('tree-sitter-bicep') as unknown;

export type Node = Parser.SyntaxNode;

export const ROOT = join(__dirname, '..', '..');
export const INFRA = join(ROOT, 'infra');
// ---------------------------------------------------------------------------------------------
// A small model of a set of Bicep files

export interface Param {
  name: string;
  node: Node;
  secure: boolean;
  defaultValue?: Node;
  allowed?: string[];
}
export interface Resource {
  symbol: string;
  type: string;
  body: Node;
  existing: boolean;
  node: Node;
}
export interface Module {
  symbol: string;
  /** Path of the module file relative to the repository, posix separators. */
  target: string;
  body: Node;
  node: Node;
}
export interface Output {
  name: string;
  value: Node;
  secure: boolean;
  node: Node;
}
export interface BicepFile {
  path: string;
  text: string;
  root: Node;
  targetScope: string;
  params: Map<string, Param>;
  vars: Map<string, Node>;
  resources: Resource[];
  modules: Module[];
  outputs: Output[];
}
export interface Project {
  files: BicepFile[];
  /** Other text files checked (azure.yaml, parameters, workflow). */
  texts: Record<string, string>;
}

const parser = new Parser();
parser.setLanguage(Bicep as Parser.Language);

export function bicepFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...bicepFilesUnder(full));
    else if (entry.endsWith('.bicep')) found.push(relative(ROOT, full).split(sep).join('/'));
  }
  return found.sort();
}

export const OTHER_TEXTS = [
  'azure.yaml',
  'infra/main.parameters.json',
  'infra/modules/routedOperations.json',
  '.github/workflows/ci.yml',
  'docs/deploy.md',
];

export function readSources(): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const path of bicepFilesUnder(INFRA)) sources[path] = readFileSync(join(ROOT, path), 'utf8');
  for (const path of OTHER_TEXTS) {
    if (existsSync(join(ROOT, path))) sources[path] = readFileSync(join(ROOT, path), 'utf8');
  }
  return sources;
}

export const SOURCES = readSources();

export function project(sources: Record<string, string> = SOURCES): Project {
  const files: BicepFile[] = [];
  const texts: Record<string, string> = {};
  for (const [path, text] of Object.entries(sources)) {
    if (path.endsWith('.bicep')) files.push(parseFile(path, text));
    else texts[path] = text;
  }
  return { files, texts };
}

/** A copy of the sources with one exact piece of one file replaced (the piece must exist). */
export function broken(path: string, from: string | RegExp, to: string): Project {
  const text = SOURCES[path];
  if (text === undefined) throw new Error(`no source ${path}`);
  const replaced = text.replace(from, to);
  if (replaced === text)
    throw new Error(
      `${path} does not contain ${String(from)}: the mutation would not break anything`,
    );
  return project({ ...SOURCES, [path]: replaced });
}

export function parseFile(path: string, text: string): BicepFile {
  const root = parser.parse(text).rootNode;
  const file: BicepFile = {
    path,
    text,
    root,
    targetScope: 'resourceGroup',
    params: new Map(),
    vars: new Map(),
    resources: [],
    modules: [],
    outputs: [],
  };
  let decorators: Node[] = [];
  for (const child of root.namedChildren) {
    if (child.type === 'decorators') {
      decorators = child.namedChildren.filter((d) => d.type === 'decorator');
      continue;
    }
    const named = child.namedChildren.filter((n) => n.type !== 'comment');
    const decoratorNames = decorators.map(decoratorName);
    switch (child.type) {
      case 'target_scope_assignment':
        file.targetScope = literal(named[0]) ?? '';
        break;
      case 'parameter_declaration': {
        const allowedDecorator = decorators.find((d) => decoratorName(d) === 'allowed');
        const allowedArray = allowedDecorator?.descendantsOfType('array')[0];
        file.params.set(named[0].text, {
          name: named[0].text,
          node: child,
          secure: decoratorNames.includes('secure'),
          defaultValue: named.length > 2 ? named[named.length - 1] : undefined,
          allowed: allowedArray
            ? allowedArray.namedChildren.map((n) => literal(n) ?? n.text)
            : undefined,
        });
        break;
      }
      case 'variable_declaration':
        file.vars.set(named[0].text, named[named.length - 1]);
        break;
      case 'resource_declaration': {
        const type = literal(named[1]) ?? '';
        file.resources.push({
          symbol: named[0].text,
          type: type.split('@')[0],
          body: bodyObject(named[named.length - 1]),
          existing: child.children.some((c) => c.type === 'existing'),
          node: child,
        });
        break;
      }
      case 'module_declaration': {
        const target = posix.normalize(posix.join(posix.dirname(path), literal(named[1]) ?? ''));
        file.modules.push({
          symbol: named[0].text,
          target,
          body: bodyObject(named[named.length - 1]),
          node: child,
        });
        break;
      }
      case 'output_declaration':
        file.outputs.push({
          name: named[0].text,
          value: named[named.length - 1],
          secure: decoratorNames.includes('secure'),
          node: child,
        });
        break;
    }
    decorators = [];
  }
  return file;
}

export function decoratorName(decorator: Node): string {
  const call = decorator.namedChildren[0];
  const fn = call?.type === 'call_expression' ? call.childForFieldName('function') : call;
  return fn?.text.replace(/^sys\./, '') ?? '';
}

/** The object literal of a resource or module body, through `if (…)` and `for … :`. */
export function bodyObject(node: Node): Node {
  if (node.type === 'object') return node;
  if (node.type === 'if_statement')
    return bodyObject(node.namedChildren[node.namedChildren.length - 1]);
  if (node.type === 'for_statement')
    return bodyObject(
      node.childForFieldName('body') ?? node.namedChildren[node.namedChildren.length - 1],
    );
  return node;
}

/** The value of a string literal without interpolation, or of a boolean/number literal, as text. */
export function literal(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string') {
    const parts = node.namedChildren;
    if (parts.some((p) => p.type !== 'string_content' && p.type !== 'escape_sequence'))
      return undefined;
    return parts.map((p) => (p.type === 'escape_sequence' ? p.text.slice(1) : p.text)).join('');
  }
  if (node.type === 'boolean' || node.type === 'number') return node.text;
  if (node.type === 'parenthesized_expression') return literal(node.namedChildren[0]);
  return undefined;
}

export function propertyKey(property: Node): string {
  const key = property.namedChildren[0];
  return key.type === 'string' ? (literal(key) ?? key.text) : key.text;
}

export function properties(
  object: Node | undefined,
): Array<{ key: string; value: Node; node: Node }> {
  if (!object || object.type !== 'object') return [];
  return object.namedChildren
    .filter((p) => p.type === 'object_property')
    .map((p) => ({
      key: propertyKey(p),
      value: p.namedChildren[p.namedChildren.length - 1],
      node: p,
    }));
}

/** `get(obj, 'properties.siteConfig.minTlsVersion')`. */
export function get(object: Node | undefined, path: string): Node | undefined {
  let current: Node | undefined = object;
  for (const key of path.split('.')) {
    current = properties(current).find((p) => p.key === key)?.value;
    if (!current) return undefined;
  }
  return current;
}

/** Follows identifiers that name variables of the file. */
export function deref(file: BicepFile, node: Node | undefined): Node | undefined {
  let current = node;
  for (let i = 0; current && i < 20; i++) {
    if (current.type === 'parenthesized_expression') current = current.namedChildren[0];
    else if (current.type === 'identifier' && file.vars.has(current.text))
      current = file.vars.get(current.text);
    else break;
  }
  return current;
}

export function strings(file: BicepFile, node: Node | undefined): string[] {
  const array = deref(file, node);
  if (!array || array.type !== 'array') return [];
  return array.namedChildren
    .filter((n) => n.type !== 'comment')
    .map((n) => literal(deref(file, n)) ?? `<${n.text}>`);
}

export function line(file: BicepFile, node: Node): string {
  return `${file.path}:${node.startPosition.row + 1}`;
}

export function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  for (const child of node.children) walk(child, visit);
}

export function fileAt(p: Project, path: string): BicepFile | undefined {
  return p.files.find((f) => f.path === path);
}

export function resourcesOf(
  p: Project,
  type: string,
): Array<{ file: BicepFile; resource: Resource }> {
  return p.files.flatMap((file) =>
    file.resources
      .filter((r) => r.type.toLowerCase() === type.toLowerCase() && !r.existing)
      .map((resource) => ({ file, resource })),
  );
}

/** Every module call of `target` (a repository path), with the file it is in. */
export function callersOf(p: Project, target: string): Array<{ file: BicepFile; module: Module }> {
  return p.files.flatMap((file) =>
    file.modules.filter((m) => m.target === target).map((module) => ({ file, module })),
  );
}

/** `mod.outputs.name` → the output's file and value. */
export function moduleOutput(
  p: Project,
  file: BicepFile,
  node: Node | undefined,
): { file: BicepFile; output: Output } | undefined {
  if (!node || node.type !== 'member_expression') return undefined;
  const inner = node.childForFieldName('object');
  const name = node.childForFieldName('property')?.text;
  if (
    !inner ||
    inner.type !== 'member_expression' ||
    inner.childForFieldName('property')?.text !== 'outputs'
  )
    return undefined;
  const symbol = inner.childForFieldName('object')?.text;
  const module = file.modules.find((m) => m.symbol === symbol);
  const target = module && fileAt(p, module.target);
  const output = target?.outputs.find((o) => o.name === name);
  return target && output ? { file: target, output } : undefined;
}

export function callName(call: Node): string {
  const fn = call.childForFieldName('function');
  if (!fn) return '';
  if (fn.type === 'member_expression') return fn.childForFieldName('property')?.text ?? '';
  return fn.text;
}

/** Literal values an expression can take: literals, and params through @allowed, defaults and callers. */
export function possibleValues(
  p: Project,
  file: BicepFile,
  node: Node | undefined,
  depth = 0,
): string[] {
  const target = deref(file, node);
  if (!target || depth > 10) return [];
  const value = literal(target);
  if (value !== undefined) return [value];
  if (target.type === 'identifier' && file.params.has(target.text)) {
    const param = file.params.get(target.text) as Param;
    const values = new Set<string>(param.allowed ?? []);
    for (const v of possibleValues(p, file, param.defaultValue, depth + 1)) values.add(v);
    for (const caller of callersOf(p, file.path)) {
      for (const v of possibleValues(
        p,
        caller.file,
        get(caller.module.body, `params.${param.name}`),
        depth + 1,
      ))
        values.add(v);
    }
    return [...values];
  }
  return [`<${target.text}>`];
}
