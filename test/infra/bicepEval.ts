/**
 * Evaluates the small part of the Bicep expression language that `infra/modules/naming.bicep`
 * and the name arguments in `infra/main.bicep` use: string literals and interpolation, numbers,
 * identifiers bound by the caller, object member access, `+`/`-`, the ternary, the built-ins
 * `toLower`, `replace`, `trim`, `take`, `empty`, `length`, and user-defined functions. There is
 * no Bicep compiler here; evaluating the templates' own text (rather than a copy of their logic
 * in TypeScript) is what lets the naming test fail when naming.bicep changes. Anything outside
 * this subset throws, naming the construct, so the test can never pass on what it cannot read.
 */
import type { Node } from './bicepModel';

export type Value = string | number | boolean | { [key: string]: Value };

export interface UserFunction {
  parameters: string[];
  body: Node;
}

export interface Scope {
  values: Record<string, Value>;
  functions: Record<string, UserFunction>;
}

const BUILT_INS: Record<string, (...args: Value[]) => Value> = {
  toLower: (s) => text(s).toLowerCase(),
  replace: (s, from, to) => text(s).split(text(from)).join(text(to)),
  trim: (s) => text(s).trim(),
  take: (s, n) => text(s).slice(0, Math.max(0, num(n))),
  empty: (s) => text(s).length === 0,
  length: (s) => text(s).length,
};

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };

/** Bicep's escapes in a single-quoted string: \\ \' \n \r \t \$ (and \u{…}). */
function unescape(raw: string): string {
  return raw.replace(/\\(u\{([0-9a-fA-F]+)\}|.)/g, (_m, c: string, hex?: string) =>
    hex !== undefined ? String.fromCodePoint(parseInt(hex, 16)) : (ESCAPES[c] ?? c),
  );
}

function text(v: Value): string {
  if (typeof v !== 'string') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(v: Value): number {
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}

/** The user-defined functions (`func name(…) type => body`) of a parsed Bicep file. */
export function userFunctions(root: Node): Record<string, UserFunction> {
  const functions: Record<string, UserFunction> = {};
  for (const node of root.descendantsOfType('user_defined_function')) {
    const named = node.namedChildren.filter((n) => n.type !== 'comment');
    const parameters =
      named
        .find((n) => n.type === 'parameters')
        ?.namedChildren.filter((p) => p.type === 'parameter')
        .map((p) => p.namedChildren[0].text) ?? [];
    functions[named[0].text] = { parameters, body: named[named.length - 1] };
  }
  return functions;
}

export function evaluate(node: Node, scope: Scope): Value {
  switch (node.type) {
    case 'parenthesized_expression':
      return evaluate(node.namedChildren[0], scope);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'string': {
      // From the source text between the quotes, not the string_content nodes: tree-sitter-bicep
      // gives no node for whitespace-only content (' ' would read as '').
      const source = node.tree.rootNode.text;
      let out = '';
      let at = node.startIndex + 1;
      for (const part of node.namedChildren.filter((n) => n.type === 'interpolation')) {
        out += unescape(source.slice(at, part.startIndex));
        out += text(evaluate(part.namedChildren[0], scope));
        at = part.endIndex;
      }
      return out + unescape(source.slice(at, node.endIndex - 1));
    }
    case 'identifier': {
      const value = scope.values[node.text];
      if (value === undefined) throw new Error(`unbound identifier ${node.text}`);
      return value;
    }
    case 'member_expression': {
      const object = evaluate(node.namedChildren[0], scope);
      const property = node.namedChildren[1].text;
      if (typeof object !== 'object' || object[property] === undefined)
        throw new Error(`no property ${property} in ${node.text}`);
      return object[property];
    }
    case 'object': {
      const out: Record<string, Value> = {};
      for (const property of node.namedChildren.filter((n) => n.type === 'object_property'))
        out[property.namedChildren[0].text] = evaluate(property.namedChildren[1], scope);
      return out;
    }
    case 'binary_expression': {
      const [left, right] = node.namedChildren.map((n) => evaluate(n, scope));
      const operator = node.children[1].text;
      if (operator === '+') return num(left) + num(right);
      if (operator === '-') return num(left) - num(right);
      throw new Error(`unsupported operator ${operator} in ${node.text}`);
    }
    case 'ternary_expression': {
      const [condition, whenTrue, whenFalse] = node.namedChildren;
      const chosen = evaluate(condition, scope);
      if (typeof chosen !== 'boolean') throw new Error(`not a condition: ${condition.text}`);
      return evaluate(chosen ? whenTrue : whenFalse, scope);
    }
    case 'call_expression': {
      const name = node.namedChildren[0].text;
      const args = (node.namedChildren[1]?.namedChildren ?? []).map((a) => evaluate(a, scope));
      const builtIn = BUILT_INS[name];
      if (builtIn) return builtIn(...args);
      const fn = scope.functions[name];
      if (!fn) throw new Error(`unsupported function ${name}`);
      const values: Record<string, Value> = {};
      fn.parameters.forEach((p, i) => (values[p] = args[i]));
      return evaluate(fn.body, { values, functions: scope.functions });
    }
    default:
      throw new Error(`unsupported expression ${node.type}: ${node.text}`);
  }
}
