/**
 * Every resource name the deployment derives (infra/modules/naming.bicep, called from
 * infra/main.bicep) is valid for its resource type, for every environment name azd accepts
 * (letters, digits, - _ . ( ), 1 to 64 characters). The templates' own expressions are evaluated
 * (test/infra/bicepEval.ts), so a change to naming.bicep or to a call is what is tested. The
 * rules are those of "Naming rules and restrictions for Azure resources" (Microsoft Learn,
 * azure-resource-manager/management/resource-name-rules).
 *
 * Run from bicep.test.ts, not as its own test file: tree-sitter's native binding breaks when a
 * second test file in the same Jest worker loads it again (rootNode comes back undefined).
 */
import fc from 'fast-check';
import { evaluate, type Scope, userFunctions, type Value } from './bicepEval';
import { type BicepFile, fileAt, type Node, project, SOURCES } from './bicepModel';

interface NameRule {
  type: string;
  min: number;
  max: number;
  pattern: RegExp;
  /** Further restrictions beyond the character set, as a predicate with what it checks. */
  also?: Array<[string, (name: string) => boolean]>;
}

const noConsecutiveHyphens: [string, (n: string) => boolean] = [
  'no consecutive hyphens',
  (n) => !n.includes('--'),
];
const alphanumericEnds: [string, (n: string) => boolean] = [
  'starts and ends with a letter or digit',
  (n) => /^[a-z0-9]/i.test(n) && /[a-z0-9]$/i.test(n),
];

/** By the prefix each call in main.bicep gives (its first argument). */
const RULES: Record<string, NameRule> = {
  rg: {
    type: 'Microsoft.Resources/resourceGroups',
    min: 1,
    max: 90,
    pattern: /^[-\w.()]+$/,
    also: [['does not end with a period', (n) => !n.endsWith('.')]],
  },
  audit: { type: 'Microsoft.Resources/deployments', min: 1, max: 64, pattern: /^[-\w.()]+$/ },
  evgt: { type: 'Microsoft.EventGrid/systemTopics', min: 3, max: 128, pattern: /^[a-zA-Z0-9-]+$/ },
  id: {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9][-\w]*$/,
  },
  'id-eg': {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9][-\w]*$/,
  },
  log: {
    type: 'Microsoft.OperationalInsights/workspaces',
    min: 4,
    max: 63,
    pattern: /^[a-zA-Z0-9-]+$/,
    also: [alphanumericEnds],
  },
  appi: {
    type: 'Microsoft.Insights/components',
    min: 1,
    max: 260,
    pattern: /^[^%&\\?/]+$/,
    also: [['does not end with a space or period', (n) => !/[ .]$/.test(n)]],
  },
  vnet: {
    type: 'Microsoft.Network/virtualNetworks',
    min: 2,
    max: 64,
    pattern: /^[a-zA-Z0-9][-\w.]*[\w]$/,
  },
  st: { type: 'Microsoft.Storage/storageAccounts', min: 3, max: 24, pattern: /^[a-z0-9]+$/ },
  'app-package': {
    type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    min: 3,
    max: 63,
    pattern: /^[a-z0-9-]+$/,
    also: [alphanumericEnds, noConsecutiveHyphens],
  },
  kv: {
    type: 'Microsoft.KeyVault/vaults',
    min: 3,
    max: 24,
    pattern: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/,
    also: [noConsecutiveHyphens],
  },
  acs: {
    type: 'Microsoft.Communication/communicationServices',
    min: 1,
    max: 63,
    pattern: /^[a-zA-Z0-9-]+$/,
    also: [alphanumericEnds],
  },
  ecs: {
    type: 'Microsoft.Communication/emailServices',
    min: 1,
    max: 63,
    pattern: /^[a-zA-Z0-9-]+$/,
    also: [alphanumericEnds],
  },
  plan: { type: 'Microsoft.Web/serverfarms', min: 1, max: 60, pattern: /^[a-zA-Z0-9-]+$/ },
  func: {
    type: 'Microsoft.Web/sites',
    min: 2,
    max: 60,
    pattern: /^[a-zA-Z0-9-]+$/,
    also: [alphanumericEnds],
  },
};

/** What azd accepts as an environment name. */
const environmentName = fc.stringMatching(/^[a-zA-Z0-9\-_.()]{1,64}$/);
/** `toLower(uniqueString(…))`: 13 characters of [a-z0-9]. */
const resourceToken = fc.stringMatching(/^[a-z0-9]{13}$/);

interface NameCall {
  prefix: string;
  call: Node;
}

function nameCalls(main: BicepFile): NameCall[] {
  return main.root
    .descendantsOfType('call_expression')
    .filter((c) => ['resourceName', 'compactName'].includes(c.namedChildren[0].text))
    .map((call) => ({
      call,
      prefix: String(
        evaluate(call.namedChildren[1].namedChildren[0], { values: {}, functions: {} }),
      ),
    }));
}

function violations(rule: NameRule, name: string): string[] {
  const found: string[] = [];
  if (name.length < rule.min || name.length > rule.max)
    found.push(`length ${name.length} outside ${rule.min}–${rule.max}`);
  if (!rule.pattern.test(name)) found.push(`characters outside ${String(rule.pattern)}`);
  for (const [what, holds] of rule.also ?? []) if (!holds(name)) found.push(what);
  return found;
}

function scopeFor(naming: BicepFile, main: BicepFile, values: Record<string, Value>): Scope {
  const functions = userFunctions(naming.root);
  const nameLimits = evaluate(main.vars.get('nameLimits') as Node, { values: {}, functions });
  return { values: { ...values, nameLimits }, functions };
}

/** For one set of sources, the naming problems of every call for given inputs. */
function nameChecker(sources: Record<string, string>) {
  const p = project(sources);
  const main = fileAt(p, 'infra/main.bicep') as BicepFile;
  const naming = fileAt(p, 'infra/modules/naming.bicep') as BicepFile;
  const calls = nameCalls(main);
  return (env: string, token: string, sub: string): string[] => {
    const scope = scopeFor(naming, main, {
      environmentName: env,
      resourceToken: token,
      subscriptionId: sub,
    });
    const problems: string[] = [];
    for (const { prefix, call } of calls) {
      const rule = RULES[prefix];
      if (!rule) {
        problems.push(
          `${call.text}: no naming rule for prefix ${prefix} in test/infra/namingSuite.ts`,
        );
        continue;
      }
      const name = String(evaluate(call, scope));
      for (const v of violations(rule, name)) problems.push(`${rule.type} "${name}": ${v}`);
    }
    return problems;
  };
}

function invalidNames(sources: Record<string, string>, env: string, token: string, sub: string) {
  return nameChecker(sources)(env, token, sub);
}

const SUB = '11111111-1111-1111-1111-111111111111';
const TOKEN = 'abcdefghij123';

export function namingSuite(): void {
  describe('infra: resource names (naming.bicep) for every environment name azd accepts', () => {
    it('every name call in main.bicep has a rule, and the names of a plain environment are unchanged', () => {
      const main = fileAt(project(), 'infra/main.bicep') as BicepFile;
      const calls = nameCalls(main);
      expect(calls.length).toBeGreaterThanOrEqual(15);
      expect(invalidNames(SOURCES, 'prod', TOKEN, SUB)).toEqual([]);
      const scope = scopeFor(fileAt(project(), 'infra/modules/naming.bicep') as BicepFile, main, {
        environmentName: 'prod',
        resourceToken: TOKEN,
        subscriptionId: SUB,
      });
      const names = calls.map(({ call }) => evaluate(call, scope));
      expect(names).toEqual(
        expect.arrayContaining(['rg-prod', 'evgt-prod-arm', 'rg-prod-arm-events', `kv-${TOKEN}`]),
      );
    });

    it.each([
      ['my_env.1', 'evgt-my-env-1-arm'],
      ['Team(A)', 'evgt-team-a--arm'],
      ['x', 'evgt-x-arm'],
    ])('environment %s gives the system topic %s', (env, topic) => {
      const p = project();
      const main = fileAt(p, 'infra/main.bicep') as BicepFile;
      const scope = scopeFor(fileAt(p, 'infra/modules/naming.bicep') as BicepFile, main, {
        environmentName: env,
        resourceToken: TOKEN,
        subscriptionId: SUB,
      });
      const call = nameCalls(main).find((c) => c.prefix === 'evgt') as NameCall;
      expect(evaluate(call.call, scope)).toBe(topic);
    });

    it('the deployment name keeps the whole subscription id and stays within 64 characters', () => {
      const env = 'e'.repeat(64);
      const p = project();
      const main = fileAt(p, 'infra/main.bicep') as BicepFile;
      const scope = scopeFor(fileAt(p, 'infra/modules/naming.bicep') as BicepFile, main, {
        environmentName: env,
        resourceToken: TOKEN,
        subscriptionId: SUB,
      });
      const name = String(
        evaluate((nameCalls(main).find((c) => c.prefix === 'audit') as NameCall).call, scope),
      );
      expect(name).toHaveLength(64);
      expect(name.endsWith(`-${SUB}`)).toBe(true);
    });

    it('holds for any environment name, token and subscription', () => {
      const invalid = nameChecker(SOURCES);
      fc.assert(
        fc.property(environmentName, resourceToken, fc.uuid(), (env, token, sub) => {
          expect(invalid(env, token, sub)).toEqual([]);
        }),
        { numRuns: 300 },
      );
    });

    it.each([
      [
        'nameSafe no longer turns _ into a hyphen',
        "replace(trim(value), '_', '-')",
        'trim(value)',
        'my_env',
        /systemTopics "evgt-my_env-arm": characters/,
      ],
      [
        'the Key Vault named after the environment',
        "resourceName('kv', resourceToken, '', nameLimits.keyVault)",
        "resourceName('kv', environmentName, '', nameLimits.keyVault)",
        'team_-a',
        /vaults "kv-team--a": no consecutive hyphens/,
      ],
    ])('fails when %s', (_what, from, to, env, expected) => {
      const path = from.startsWith('replace') ? 'infra/modules/naming.bicep' : 'infra/main.bicep';
      const sources = { ...SOURCES, [path]: SOURCES[path].replace(from, to) };
      expect(sources[path]).not.toBe(SOURCES[path]);
      expect(invalidNames(sources, env, TOKEN, SUB).join('\n')).toMatch(expected);
    });
  });
}
