/**
 * The Azure ABAC condition language (role-assignment conditions, `conditionVersion` 2.0), as far
 * as the auditor reads it: a grammar (ohm-js, a PEG parser library) for the documented syntax —
 * `AND`/`OR`/`NOT` and `&&`/`||`/`!`, parentheses, `ActionMatches{'…'}`,
 * `SubOperationMatches{'…'}`, `@Source[attribute] [Quantifier:]Operator value`, `{…}` value
 * lists — and its syntax tree. What a condition means is decided in `conditions.ts`.
 *
 * Keywords and operators are case-insensitive, as Azure reads them; strings are single-quoted;
 * GUIDs and numbers may stand unquoted. Pure.
 */
import * as ohm from 'ohm-js';

export type ConditionNode =
  | { kind: 'and'; left: ConditionNode; right: ConditionNode }
  | { kind: 'or'; left: ConditionNode; right: ConditionNode }
  | { kind: 'not'; operand: ConditionNode }
  | { kind: 'actionMatches'; pattern: string }
  | { kind: 'subOperationMatches'; pattern: string }
  | Comparison;

export interface Comparison {
  kind: 'comparison';
  /** `Request`, `Resource`, `Principal`, `Environment`, … as written. */
  source: string;
  /** E.g. `Microsoft.Authorization/roleAssignments:RoleDefinitionId`, trimmed. */
  attribute: string;
  /** E.g. `ForAnyOfAnyValues`, as written; undefined for a plain operator. */
  quantifier?: string;
  /** E.g. `GuidEquals`, `StringEqualsIgnoreCase`, as written. */
  operator: string;
  /** A list `{…}` gives several values; a lone value gives one. Quotes removed. */
  values: string[];
  /** Whether the value was written as a `{…}` list. */
  list: boolean;
}

const GRAMMAR = String.raw`
AbacCondition {
  Condition = Or end

  Or = Or orOp And  -- or
     | And

  And = And andOp Not  -- and
      | Not

  Not = notOp Not  -- not
      | Primary

  Primary = "(" Or ")"  -- paren
          | ActionMatches
          | SubOperationMatches
          | Comparison

  ActionMatches = caseInsensitive<"ActionMatches"> "{" string "}"
  SubOperationMatches = caseInsensitive<"SubOperationMatches"> "{" string "}"

  Comparison = attribute operator Value

  attribute = "@" identifier "[" attributeName "]"
  attributeName = (~"]" any)+

  operator = quantifier ":" identifier  -- quantified
           | identifier                 -- plain
  quantifier = identifier

  Value = "{" ListOf<scalar, ","> "}"  -- list
        | scalar                       -- single

  scalar = string | bare
  string = "'" (~"'" any)* "'"
  bare = (alnum | "-" | "." | ":" | "_")+

  identifier = letter (alnum | "_")*

  orOp = "||" | caseInsensitive<"OR"> ~wordChar
  andOp = "&&" | caseInsensitive<"AND"> ~wordChar
  notOp = "!" | caseInsensitive<"NOT"> ~wordChar
  wordChar = alnum | "_"
}
`;

const grammar = ohm.grammar(GRAMMAR);

const semantics = grammar.createSemantics().addOperation<unknown>('tree', {
  Condition(or, _end) {
    return or.tree();
  },
  Or_or(left, _op, right) {
    return { kind: 'or', left: left.tree(), right: right.tree() };
  },
  And_and(left, _op, right) {
    return { kind: 'and', left: left.tree(), right: right.tree() };
  },
  Not_not(_op, operand) {
    return { kind: 'not', operand: operand.tree() };
  },
  Primary_paren(_open, inner, _close) {
    return inner.tree();
  },
  ActionMatches(_keyword, _open, pattern, _close) {
    return { kind: 'actionMatches', pattern: pattern.tree() };
  },
  SubOperationMatches(_keyword, _open, pattern, _close) {
    return { kind: 'subOperationMatches', pattern: pattern.tree() };
  },
  Comparison(attribute, operator, value) {
    const [source, name] = attribute.tree() as [string, string];
    const op = operator.tree() as { quantifier?: string; operator: string };
    const v = value.tree() as { values: string[]; list: boolean };
    const comparison: Comparison = {
      kind: 'comparison',
      source,
      attribute: name,
      operator: op.operator,
      values: v.values,
      list: v.list,
    };
    if (op.quantifier !== undefined) comparison.quantifier = op.quantifier;
    return comparison;
  },
  attribute(_at, source, _open, name, _close) {
    return [source.sourceString, name.sourceString.trim()];
  },
  operator_quantified(quantifier, _colon, name) {
    return { quantifier: quantifier.sourceString, operator: name.sourceString };
  },
  operator_plain(name) {
    return { operator: name.sourceString };
  },
  Value_list(_open, items, _close) {
    return { values: items.asIteration().children.map((c) => c.tree()), list: true };
  },
  Value_single(item) {
    return { values: [item.tree()], list: false };
  },
  string(_open, chars, _close) {
    return chars.sourceString;
  },
  bare(_chars) {
    return this.sourceString;
  },
  scalar(item) {
    return item.tree();
  },
});

export type ParseResult = { ok: true; tree: ConditionNode } | { ok: false; message: string };

/** Parses a condition; a text outside the grammar gives one line saying where it stops making sense. */
export function parseCondition(text: string): ParseResult {
  const match = grammar.match(text);
  if (match.failed()) return { ok: false, message: match.shortMessage ?? 'not a condition' };
  return { ok: true, tree: semantics(match).tree() as ConditionNode };
}
