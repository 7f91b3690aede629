/**
 * Static checks of the Azure deployment (infra/**, azure.yaml): there is no Bicep compiler and
 * no Azure here, so every .bicep file is parsed with tree-sitter-bicep and the properties the
 * product relies on are asserted on the syntax tree. Each check is a function returning the
 * problems it finds; every check is also run on a deliberately broken in-memory copy of the
 * templates to prove that it notices.
 */
import { namingSuite } from './namingSuite';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { SECRET_SETTING_NAMES, SETTING_NAMES } from '../../src/config';
import { ROUTED_OPERATIONS } from '../../src/core/events';
import {
  broken,
  callersOf,
  callName,
  deref,
  fileAt,
  get,
  line,
  literal,
  moduleOutput,
  possibleValues,
  project,
  properties,
  propertyKey,
  resourcesOf,
  ROOT,
  SOURCES,
  strings,
  walk,
  type BicepFile,
  type Node,
  type Project,
} from './bicepModel';
import { DATA, TYPES_FILE, validate } from './bicepTypes';

/** Event Grid's limit on the values of all advanced filters of one event subscription. */
const MAX_ADVANCED_FILTER_VALUES = 25;

/** The auditor's custom role: exactly what the live ARM source reads. */
const READER_ACTIONS = [
  'Microsoft.ContainerService/managedClusters/read',
  'Microsoft.Authorization/roleAssignments/read',
  'Microsoft.Authorization/roleDefinitions/read',
  'Microsoft.Authorization/roleEligibilityScheduleInstances/read',
  'Microsoft.Authorization/denyAssignments/read',
  'Microsoft.ManagedIdentity/userAssignedIdentities/read',
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read',
  'Microsoft.Resources/subscriptions/read',
  'Microsoft.ResourceGraph/resources/read',
];

/** Built-in role definition ids the templates must use for these grants. */
const BUILT_IN_ROLES: Record<string, string> = {
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};

/** Settings the Functions host and the Azure SDKs read themselves (not src/config.ts). */
const HOST_SETTING = [
  /^AzureWebJobsStorage__/,
  /^FUNCTIONS_/,
  /^APPLICATIONINSIGHTS_/,
  /^AZURE_CLIENT_ID$/,
  /^AUDIT_STORAGE__/,
];

/** Settings the deployed app must carry. */
const REQUIRED_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'AUDIT_STORAGE__tableServiceUri',
  'AUDIT_STORAGE__queueServiceUri',
  'AUDIT_STORAGE__blobServiceUri',
  'AUDIT_DEAD_LETTER_CONTAINER',
  'AUDIT_STORAGE__credential',
  'AUDIT_STORAGE__clientId',
  'AZURE_CLIENT_ID',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AUDIT_SUBSCRIPTION_IDS',
  'AUDIT_SCHEDULE',
  'AUDIT_PUBLIC_BASE_URL',
  'ALERT_MIN_SEVERITY',
  'ALERT_EMAIL_ENDPOINT',
  'ALERT_EMAIL_SENDER',
  'ALERT_EMAIL_TO',
  'ALERT_TEAMS_WEBHOOK_URL',
];

// ---------------------------------------------------------------------------------------------
// App settings: every key the templates set, with the expression of its value

interface Setting {
  key: string;
  file: BicepFile;
  value: Node;
}

function appSettings(p: Project): { settings: Setting[]; problems: string[] } {
  const problems: string[] = [];
  const configs = resourcesOf(p, 'Microsoft.Web/sites/config').filter(
    ({ resource }) => literal(get(resource.body, 'name')) === 'appsettings',
  );
  const siteSettings = resourcesOf(p, 'Microsoft.Web/sites').flatMap(({ file, resource }) => {
    const inline = get(resource.body, 'properties.siteConfig.appSettings');
    return inline ? [{ file, node: inline }] : [];
  });
  if (configs.length === 0 && siteSettings.length === 0)
    problems.push('no app settings found (Microsoft.Web/sites/config appsettings)');
  const settings: Setting[] = [];
  const follow = (file: BicepFile, node: Node, depth: number): void => {
    if (depth > 30) throw new Error(`app settings: too deep at ${line(file, node)}`);
    switch (node.type) {
      case 'parenthesized_expression':
        return follow(file, node.namedChildren[0], depth + 1);
      case 'object':
        for (const { key, value } of properties(node)) settings.push({ key, file, value });
        return;
      case 'call_expression':
        if (callName(node) !== 'union')
          throw new Error(`app settings: cannot follow ${callName(node)}() at ${line(file, node)}`);
        for (const arg of node.childForFieldName('arguments')?.namedChildren ?? [])
          follow(file, arg, depth + 1);
        return;
      case 'ternary_expression':
        follow(file, node.childForFieldName('consequence') as Node, depth + 1);
        follow(file, node.childForFieldName('alternative') as Node, depth + 1);
        return;
      case 'identifier': {
        const variable = file.vars.get(node.text);
        if (variable) return follow(file, variable, depth + 1);
        const param = file.params.get(node.text);
        if (param) {
          const callers = callersOf(p, file.path);
          for (const caller of callers) {
            const passed = get(caller.module.body, `params.${param.name}`);
            if (passed) follow(caller.file, passed, depth + 1);
            else if (param.defaultValue) follow(file, param.defaultValue, depth + 1);
          }
          if (callers.length === 0 && param.defaultValue)
            follow(file, param.defaultValue, depth + 1);
          return;
        }
        throw new Error(`app settings: unknown identifier ${node.text} at ${line(file, node)}`);
      }
      case 'array':
        // siteConfig.appSettings: [ { name, value } ]
        for (const item of node.namedChildren) {
          const name = literal(get(item, 'name'));
          const value = get(item, 'value');
          if (name && value) settings.push({ key: name, file, value });
          else throw new Error(`app settings: unreadable entry at ${line(file, item)}`);
        }
        return;
      default:
        throw new Error(`app settings: cannot follow a ${node.type} at ${line(file, node)}`);
    }
  };
  try {
    for (const { file, resource } of configs) {
      const props = get(resource.body, 'properties');
      if (props) follow(file, props, 0);
    }
    for (const { file, node } of siteSettings) follow(file, node, 0);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return { settings, problems };
}

function settingValue(settings: Setting[], key: string): Setting | undefined {
  return settings.find((s) => s.key === key);
}

// ---------------------------------------------------------------------------------------------
// The checks

function checkSyntax(p: Project): string[] {
  const problems: string[] = [];
  if (p.files.length === 0) problems.push('no .bicep files under infra/');
  for (const file of p.files) {
    walk(file.root, (n) => {
      if (n.type === 'ERROR' || n.isMissing) {
        problems.push(
          `${line(file, n)}: ${n.isMissing ? `missing ${n.type}` : 'syntax error'} near ${JSON.stringify(n.text.slice(0, 40))}`,
        );
      }
    });
  }
  return problems;
}

function checkStorage(p: Project): string[] {
  const problems: string[] = [];
  const accounts = resourcesOf(p, 'Microsoft.Storage/storageAccounts');
  if (accounts.length === 0) problems.push('no storage account');
  for (const { file, resource } of accounts) {
    const expect = (path: string, value: string) => {
      const actual = literal(get(resource.body, path));
      if (actual !== value)
        problems.push(
          `${line(file, resource.node)}: ${path} must be ${value} (is ${actual ?? 'unset'})`,
        );
    };
    expect('properties.allowSharedKeyAccess', 'false');
    expect('properties.allowBlobPublicAccess', 'false');
    expect('properties.minimumTlsVersion', 'TLS1_2');
    expect('properties.supportsHttpsTrafficOnly', 'true');
  }
  const containers = resourcesOf(p, 'Microsoft.Storage/storageAccounts/blobServices/containers');
  if (containers.length < 2)
    problems.push('expected a deployment container and a dead-letter container');
  for (const { file, resource } of containers) {
    if (literal(get(resource.body, 'properties.publicAccess')) !== 'None')
      problems.push(`${line(file, resource.node)}: container publicAccess must be None`);
  }
  return problems;
}

function checkFunctionApp(p: Project): string[] {
  const problems: string[] = [];
  const sites = resourcesOf(p, 'Microsoft.Web/sites');
  if (sites.length !== 1) problems.push(`expected one Function App, found ${sites.length}`);
  for (const { file, resource } of sites) {
    const at = line(file, resource.node);
    const expect = (path: string, value: string) => {
      const actual = literal(get(resource.body, path));
      if (actual !== value)
        problems.push(`${at}: ${path} must be ${value} (is ${actual ?? 'unset'})`);
    };
    expect('properties.httpsOnly', 'true');
    expect('properties.siteConfig.minTlsVersion', '1.2');
    expect('properties.siteConfig.ftpsState', 'Disabled');
    expect('properties.functionAppConfig.runtime.name', 'node');
    if (!(literal(get(resource.body, 'kind')) ?? '').includes('functionapp'))
      problems.push(`${at}: kind must be a function app`);
    const plans = resourcesOf(p, 'Microsoft.Web/serverfarms');
    if (
      !plans.some(
        ({ resource: plan }) =>
          literal(get(plan.body, 'sku.name')) === 'FC1' &&
          literal(get(plan.body, 'sku.tier')) === 'FlexConsumption',
      )
    ) {
      problems.push('the plan must be Flex Consumption (sku FC1 / FlexConsumption)');
    }
  }
  for (const kind of ['ftp', 'scm']) {
    const policy = resourcesOf(p, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies').find(
      ({ resource }) => literal(get(resource.body, 'name')) === kind,
    );
    if (!policy || literal(get(policy.resource.body, 'properties.allow')) !== 'false')
      problems.push(`basic publishing credentials (${kind}) must be disabled`);
  }
  return problems;
}

/** Node.js 22 (Node 20 reached end of life in April 2026), through params and their @allowed lists. */
function checkNodeVersion(p: Project): string[] {
  const problems: string[] = [];
  const supported = ['22'];
  for (const { file, resource } of resourcesOf(p, 'Microsoft.Web/sites')) {
    const version = get(resource.body, 'properties.functionAppConfig.runtime.version');
    const candidates = possibleValues(p, file, version);
    if (candidates.length === 0)
      problems.push(`${line(file, resource.node)}: runtime.version not found or not resolvable`);
    for (const value of candidates)
      if (!supported.includes(value))
        problems.push(`${line(file, resource.node)}: runtime.version may be ${value} (must be 22)`);
  }
  return problems;
}

const SECRETISH_CONNECTION =
  /AccountKey=|SharedAccessSignature=|SharedAccessKey=|SharedAccessKeyName=/i;
const SECRETISH_PROPERTY =
  /^(primaryKey|secondaryKey|primaryConnectionString|secondaryConnectionString|primaryMasterKey|keys)$/i;

/** No key is read (list*() functions) and no key-based connection string is written anywhere. */
function checkNoKeys(p: Project): string[] {
  const problems: string[] = [];
  for (const file of p.files) {
    walk(file.root, (n) => {
      if (n.type === 'call_expression' && /^list/i.test(callName(n)))
        problems.push(`${line(file, n)}: ${callName(n)}() reads keys or secrets`);
      if (
        n.type === 'member_expression' &&
        SECRETISH_PROPERTY.test(n.childForFieldName('property')?.text ?? '')
      )
        problems.push(`${line(file, n)}: reads ${n.text}`);
      if (n.type === 'string' && SECRETISH_CONNECTION.test(n.text))
        problems.push(`${line(file, n)}: key-based connection string`);
    });
  }
  for (const [path, text] of Object.entries(p.texts)) {
    if (path.endsWith('.md')) continue;
    if (SECRETISH_CONNECTION.test(text) || /listKeys\(/i.test(text))
      problems.push(`${path}: key-based connection string or listKeys`);
  }
  return problems;
}

const SECRET_OUTPUT_NAME =
  /secret|password|passwd|pwd|connectionstring|credential|token|sas|apikey|accountkey|accesskey|primarykey|secondarykey|instrumentationkey|key$/i;

function checkOutputs(p: Project): string[] {
  const problems: string[] = [];
  for (const file of p.files) {
    const secureParams = [...file.params.values()].filter((x) => x.secure).map((x) => x.name);
    for (const output of file.outputs) {
      const at = `${line(file, output.node)} output ${output.name}`;
      if (SECRET_OUTPUT_NAME.test(output.name))
        problems.push(`${at}: the name looks like a secret`);
      if (output.secure) problems.push(`${at}: a @secure() output`);
      walk(output.value, (n) => {
        if (n.type === 'identifier' && secureParams.includes(n.text))
          problems.push(`${at}: depends on @secure() parameter ${n.text}`);
        if (n.type === 'call_expression' && /^list/i.test(callName(n)))
          problems.push(`${at}: calls ${callName(n)}()`);
        if (
          n.type === 'property_identifier' &&
          /connectionstring|key$|secret|password/i.test(n.text)
        )
          problems.push(`${at}: returns ${n.text}`);
      });
      // A module output that returns another module's output: judge the source too.
      const source = moduleOutput(p, file, output.value);
      if (source && SECRET_OUTPUT_NAME.test(source.output.name))
        problems.push(`${at}: forwards ${source.output.name}`);
    }
  }
  return problems;
}

/**
 * A @secure() parameter may only be written into a Key Vault secret, passed on to a @secure()
 * parameter of a module, or tested with empty(): never into an app setting, a tag, an output.
 */
function checkSecureParams(p: Project): string[] {
  const problems: string[] = [];
  for (const file of p.files) {
    for (const param of file.params.values()) {
      if (!param.secure) continue;
      if (param.defaultValue && literal(param.defaultValue) !== '')
        problems.push(`${line(file, param.node)}: @secure() ${param.name} has a non-empty default`);
      walk(file.root, (n) => {
        if (
          n.type !== 'identifier' ||
          n.text !== param.name ||
          n.parent?.type === 'parameter_declaration'
        )
          return;
        if (allowedSecureUse(p, file, n)) return;
        problems.push(`${line(file, n)}: @secure() ${param.name} used outside a Key Vault secret`);
      });
    }
  }
  return problems;
}

function allowedSecureUse(p: Project, file: BicepFile, use: Node): boolean {
  const parent = use.parent;
  // empty(secret): a flag, not the value.
  if (
    parent?.type === 'arguments' &&
    parent.parent?.type === 'call_expression' &&
    callName(parent.parent) === 'empty' &&
    parent.namedChildren.length === 1
  )
    return true;
  if (parent?.type !== 'object_property') return false;
  const key = propertyKey(parent);
  const owner = parent.parent; // the object
  const ownerProperty = owner?.parent; // object_property holding it, or a declaration
  // properties: { value: secret } of a Microsoft.KeyVault/vaults/secrets resource.
  if (
    key === 'value' &&
    ownerProperty?.type === 'object_property' &&
    propertyKey(ownerProperty) === 'properties'
  ) {
    const body = ownerProperty.parent;
    const resource = file.resources.find((r) => r.body.id === body?.id);
    if (resource?.type.toLowerCase() === 'microsoft.keyvault/vaults/secrets') return true;
  }
  // params: { x: secret } of a module whose parameter x is @secure().
  if (ownerProperty?.type === 'object_property' && propertyKey(ownerProperty) === 'params') {
    const module = file.modules.find((m) => m.body.id === ownerProperty.parent?.id);
    const target = module && fileAt(p, module.target);
    if (target?.params.get(key)?.secure) return true;
  }
  return false;
}

function knownSetting(key: string): boolean {
  return (
    (SETTING_NAMES as readonly string[]).includes(key) ||
    HOST_SETTING.some((pattern) => pattern.test(key))
  );
}

function checkAppSettings(p: Project): string[] {
  const { settings, problems } = appSettings(p);
  const keys = settings.map((s) => s.key);
  for (const key of new Set(keys))
    if (!knownSetting(key))
      problems.push(`app setting ${key} is not one src/config.ts or the Functions host knows`);
  for (const key of REQUIRED_SETTINGS)
    if (!keys.includes(key)) problems.push(`app setting ${key} is missing`);
  // Flex Consumption takes the runtime from functionAppConfig and rejects these.
  for (const key of [
    'FUNCTIONS_WORKER_RUNTIME',
    'FUNCTIONS_EXTENSION_VERSION',
    'WEBSITE_RUN_FROM_PACKAGE',
    'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  ]) {
    if (keys.includes(key))
      problems.push(`app setting ${key} is not supported on Flex Consumption`);
  }
  // Connection strings with a key: none; identity-based connections instead.
  for (const key of ['AzureWebJobsStorage', 'AUDIT_STORAGE', 'ALERT_EMAIL_CONNECTION']) {
    if (keys.includes(key))
      problems.push(
        `app setting ${key} is a key-based connection string; use the identity-based form`,
      );
  }
  for (const key of ['AzureWebJobsStorage__credential', 'AUDIT_STORAGE__credential']) {
    const s = settingValue(settings, key);
    if (s && literal(deref(s.file, s.value)) !== 'managedidentity')
      problems.push(`${key} must be managedidentity`);
  }
  // Secrets: only as Key Vault references.
  for (const key of SECRET_SETTING_NAMES) {
    for (const s of settings.filter((x) => x.key === key)) {
      if (!isKeyVaultReference(p, s.file, s.value))
        problems.push(
          `${line(s.file, s.value)}: ${key} carries a secret; it must be a Key Vault reference`,
        );
    }
  }
  const auth = settingValue(settings, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
  if (auth && !/Authorization=AAD/.test(auth.value.text))
    problems.push('APPLICATIONINSIGHTS_AUTHENTICATION_STRING must use Authorization=AAD');
  const components = resourcesOf(p, 'Microsoft.Insights/components');
  if (
    !components.length ||
    components.some(
      ({ resource }) => literal(get(resource.body, 'properties.DisableLocalAuth')) !== 'true',
    )
  ) {
    problems.push('Application Insights must disable local (instrumentation key) authentication');
  }
  const schedule = settingValue(settings, 'AUDIT_SCHEDULE');
  if (schedule && !possibleValues(p, schedule.file, schedule.value).includes('0 0 2 * * *'))
    problems.push('AUDIT_SCHEDULE must default to 0 0 2 * * *');
  const severity = settingValue(settings, 'ALERT_MIN_SEVERITY');
  if (severity) {
    const param =
      severity.value.type === 'identifier'
        ? severity.file.params.get(severity.value.text)
        : undefined;
    if (literal(param?.defaultValue) !== 'high')
      problems.push('ALERT_MIN_SEVERITY must come from a parameter defaulting to high');
  }
  const ids = settingValue(settings, 'AUDIT_SUBSCRIPTION_IDS');
  if (ids && !/^join\(.*,\s*','\s*\)$/s.test(ids.value.text))
    problems.push('AUDIT_SUBSCRIPTION_IDS must be the audited list joined by commas');
  const sender = settingValue(settings, 'ALERT_EMAIL_SENDER');
  const senderOutput = sender && moduleOutput(p, sender.file, sender.value);
  if (
    sender &&
    !(
      senderOutput && /DoNotReply@\$\{.*mailFromSenderDomain\}/.test(senderOutput.output.value.text)
    )
  ) {
    problems.push(
      'ALERT_EMAIL_SENDER must be DoNotReply@<mailFrom domain of the Azure-managed domain>',
    );
  }
  return problems;
}

/** The value is `@Microsoft.KeyVault(SecretUri=…)`, directly or through module outputs / ternaries. */
function isKeyVaultReference(p: Project, file: BicepFile, node: Node, depth = 0): boolean {
  const target = deref(file, node);
  if (!target || depth > 10) return false;
  if (target.type === 'ternary_expression') {
    return [target.childForFieldName('consequence'), target.childForFieldName('alternative')].every(
      (branch) => {
        const value = deref(file, branch ?? undefined);
        return (
          value !== undefined &&
          (literal(value) === '' || isKeyVaultReference(p, file, value, depth + 1))
        );
      },
    );
  }
  if (target.type === 'string')
    return /^'@Microsoft\.KeyVault\(SecretUri=\$\{[^}]+\}[^']*\)'$/.test(target.text);
  const source = moduleOutput(p, file, target);
  return (
    source !== undefined && isKeyVaultReference(p, source.file, source.output.value, depth + 1)
  );
}

/** The app, its storage connections, its Key Vault references and its deployment package use one user-assigned identity. */
function checkIdentity(p: Project): string[] {
  const problems: string[] = [];
  const sites = resourcesOf(p, 'Microsoft.Web/sites');
  for (const { file, resource } of sites) {
    const at = line(file, resource.node);
    if (literal(get(resource.body, 'identity.type')) !== 'UserAssigned')
      problems.push(`${at}: identity.type must be UserAssigned`);
    const assigned = properties(get(resource.body, 'identity.userAssignedIdentities'));
    const identityExpr =
      assigned.length === 1
        ? assigned[0].node.namedChildren[0].descendantsOfType('interpolation')[0]?.namedChildren[0]
            ?.text
        : undefined;
    if (!identityExpr) {
      problems.push(`${at}: exactly one user-assigned identity expected`);
      continue;
    }
    const sameIdentity = (path: string) => {
      const value = get(resource.body, path);
      if (value?.text !== identityExpr)
        problems.push(
          `${at}: ${path} must be the app identity (${identityExpr}), is ${value?.text ?? 'unset'}`,
        );
    };
    sameIdentity('properties.keyVaultReferenceIdentity');
    sameIdentity(
      'properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId',
    );
    if (
      literal(
        get(resource.body, 'properties.functionAppConfig.deployment.storage.authentication.type'),
      ) !== 'UserAssignedIdentity'
    ) {
      problems.push(
        `${at}: the deployment storage must authenticate with the UserAssignedIdentity`,
      );
    }
    // The client id the settings carry belongs to that same identity.
    const { settings } = appSettings(p);
    const clientIds = [
      'AzureWebJobsStorage__clientId',
      'AUDIT_STORAGE__clientId',
      'AZURE_CLIENT_ID',
    ].map((k) => settingValue(settings, k));
    const texts = new Set(clientIds.map((s) => s?.value.text));
    if (texts.size !== 1 || clientIds.some((s) => !s))
      problems.push(
        'AzureWebJobsStorage__clientId, AUDIT_STORAGE__clientId and AZURE_CLIENT_ID must be the same client id',
      );
    const clientIdExpr = clientIds[0]?.value.text;
    const authString = settingValue(settings, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
    if (clientIdExpr && !authString?.value.text.includes(`ClientId=\${${clientIdExpr}}`))
      problems.push(
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING must carry the app identity client id',
      );
    // Through the module call: id and client id of one userAssignedIdentities resource.
    const idParam = file.params.get(identityExpr);
    const clientParam = clientIdExpr ? file.params.get(clientIdExpr) : undefined;
    if (idParam && clientParam) {
      for (const caller of callersOf(p, file.path)) {
        const idSource = moduleOutput(
          p,
          caller.file,
          get(caller.module.body, `params.${idParam.name}`),
        );
        const clientSource = moduleOutput(
          p,
          caller.file,
          get(caller.module.body, `params.${clientParam.name}`),
        );
        const idSymbol = /^(\w+)\.id$/.exec(idSource?.output.value.text ?? '')?.[1];
        const clientSymbol = /^(\w+)\.properties\.clientId$/.exec(
          clientSource?.output.value.text ?? '',
        )?.[1];
        const identity = idSource?.file.resources.find((r) => r.symbol === idSymbol);
        if (
          !identity ||
          identity.type !== 'Microsoft.ManagedIdentity/userAssignedIdentities' ||
          idSymbol !== clientSymbol ||
          idSource?.file !== clientSource?.file
        ) {
          problems.push(
            `${line(caller.file, caller.module.node)}: ${idParam.name} and ${clientParam.name} must be the id and client id of one user-assigned identity`,
          );
        }
      }
    } else if (!idParam) {
      problems.push(`${at}: the identity must be a parameter of ${file.path}`);
    }
  }
  return problems;
}

function checkEventSubscription(p: Project): string[] {
  const problems: string[] = [];
  const topics = resourcesOf(p, 'Microsoft.EventGrid/systemTopics');
  if (!topics.length) problems.push('no Event Grid system topic');
  for (const { file, resource } of topics) {
    if (literal(get(resource.body, 'properties.topicType')) !== 'Microsoft.Resources.Subscriptions')
      problems.push(
        `${line(file, resource.node)}: topicType must be Microsoft.Resources.Subscriptions`,
      );
    if (literal(get(resource.body, 'location')) !== 'global')
      problems.push(
        `${line(file, resource.node)}: a subscription system topic lives in location global`,
      );
  }
  const subscriptions = resourcesOf(p, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
  if (!subscriptions.length) problems.push('no Event Grid event subscription');
  const functionName =
    /app\.eventGrid\(\s*'([^']+)'/.exec(
      readFileSync(join(ROOT, 'src/functions/armEvents.ts'), 'utf8'),
    )?.[1] ?? 'armEvents';
  for (const { file, resource } of subscriptions) {
    const at = line(file, resource.node);
    const body = resource.body;
    if (literal(get(body, 'properties.destination.endpointType')) !== 'AzureFunction')
      problems.push(`${at}: destination must be AzureFunction`);
    const target = get(body, 'properties.destination.properties.resourceId')?.text ?? '';
    if (!target.endsWith(`/functions/${functionName}'`))
      problems.push(`${at}: destination must be the ${functionName} function (is ${target})`);
    const types = jsonStrings(p, file, get(body, 'properties.filter.includedEventTypes'));
    const routedTypes = [
      ...new Set(ROUTED_OPERATIONS.map((r) => r.eventType.toLowerCase())),
    ].sort();
    if (
      types
        .map((t) => t.toLowerCase())
        .sort()
        .join() !== routedTypes.join()
    )
      problems.push(
        `${at}: includedEventTypes must be ${routedTypes.join(', ')} (is ${types.join(', ')})`,
      );
    const filters = deref(file, get(body, 'properties.filter.advancedFilters'));
    const operation = filters?.namedChildren.find(
      (f) =>
        literal(get(f, 'key')) === 'data.operationName' &&
        literal(get(f, 'operatorType')) === 'StringIn',
    );
    if (!operation) {
      problems.push(`${at}: no StringIn advanced filter on data.operationName`);
    } else {
      const values = jsonStrings(p, file, get(operation, 'values')).map((v) => v.toLowerCase());
      for (const { operationName } of ROUTED_OPERATIONS)
        if (!values.includes(operationName.toLowerCase()))
          problems.push(
            `${at}: operation ${operationName} (routed by src/core/events.ts) is not in the filter`,
          );
      for (const value of values) {
        if (!ROUTED_OPERATIONS.some((r) => r.operationName.toLowerCase() === value))
          problems.push(`${at}: operation ${value} is not one src/core/events.ts routes`);
      }
      if (values.length > MAX_ADVANCED_FILTER_VALUES)
        problems.push(
          `${at}: ${values.length} filter values; Event Grid accepts ${MAX_ADVANCED_FILTER_VALUES}`,
        );
    }
    if (
      !get(body, 'properties.retryPolicy.maxDeliveryAttempts') ||
      !get(body, 'properties.retryPolicy.eventTimeToLiveInMinutes')
    )
      problems.push(`${at}: retryPolicy missing`);
    const deadLetter =
      get(body, 'properties.deadLetterWithResourceIdentity.deadLetterDestination') ??
      get(body, 'properties.deadLetterDestination');
    if (
      literal(get(deadLetter, 'endpointType')) !== 'StorageBlob' ||
      !get(deadLetter, 'properties.blobContainerName')
    )
      problems.push(`${at}: dead-lettering to a blob container missing`);
    const withIdentity = get(body, 'properties.deadLetterWithResourceIdentity');
    if (withIdentity && literal(get(withIdentity, 'identity.type')) !== 'UserAssigned')
      problems.push(`${at}: dead-letter identity must be user-assigned`);
  }
  return problems;
}

/**
 * Strings of an array, also through `loadJsonContent('x.json').member` (the generated filter):
 * the JSON is read from the project, so a broken copy of it is seen too.
 */
function jsonStrings(p: Project, file: BicepFile, node: Node | undefined): string[] {
  const target = deref(file, node);
  if (target?.type === 'member_expression') {
    const loaded = deref(file, target.childForFieldName('object') ?? undefined);
    if (loaded?.type === 'call_expression' && callName(loaded) === 'loadJsonContent') {
      const relative = literal(loaded.childForFieldName('arguments')?.namedChildren[0]) ?? '';
      const path = posix.normalize(posix.join(posix.dirname(file.path), relative));
      const text = p.texts[path];
      if (text === undefined) return [`<${path} missing>`];
      const value = (JSON.parse(text) as Record<string, unknown>)[
        target.childForFieldName('property')?.text ?? ''
      ];
      return Array.isArray(value) ? value.map(String) : [];
    }
  }
  return strings(file, node);
}

function checkRoleAssignments(p: Project): string[] {
  const problems: string[] = [];
  const assignments = resourcesOf(p, 'Microsoft.Authorization/roleAssignments');
  if (!assignments.length) problems.push('no role assignments');
  for (const { file, resource } of assignments) {
    const at = `${line(file, resource.node)} ${resource.symbol}`;
    const name = get(resource.body, 'name');
    if (!name || name.type !== 'call_expression' || callName(name) !== 'guid') {
      problems.push(
        `${at}: the name must be guid(scope, principal, role) so that redeploying is idempotent`,
      );
      continue;
    }
    const args = name.childForFieldName('arguments')?.namedChildren.map((a) => a.text) ?? [];
    const principal = get(resource.body, 'properties.principalId')?.text;
    if (!principal || !args.includes(principal))
      problems.push(`${at}: the name must include the principal (${principal})`);
    if (args.length < 3) problems.push(`${at}: the name must include scope, principal and role`);
    if (!get(resource.body, 'properties.principalType'))
      problems.push(`${at}: principalType must be set`);
    if (!get(resource.body, 'properties.roleDefinitionId'))
      problems.push(`${at}: roleDefinitionId missing`);
  }
  const text = p.files.map((f) => f.text).join('\n');
  for (const [role, id] of Object.entries(BUILT_IN_ROLES))
    if (!text.includes(id)) problems.push(`built-in role ${role} (${id}) is not assigned`);
  return problems;
}

function checkCustomRoles(p: Project): string[] {
  const problems: string[] = [];
  const roles = resourcesOf(p, 'Microsoft.Authorization/roleDefinitions');
  let reader = false;
  for (const { file, resource } of roles) {
    const at = `${line(file, resource.node)} ${resource.symbol}`;
    const permissions =
      deref(file, get(resource.body, 'properties.permissions'))?.namedChildren ?? [];
    const actions = permissions.flatMap((perm) => strings(file, get(perm, 'actions')));
    const dataActions = permissions.flatMap((perm) => strings(file, get(perm, 'dataActions')));
    if (!get(resource.body, 'properties.assignableScopes'))
      problems.push(`${at}: assignableScopes missing`);
    for (const action of [...actions, ...dataActions]) {
      if (action.includes('*')) problems.push(`${at}: wildcard action ${action}`);
      if (/listCluster\w*Credential/i.test(action))
        problems.push(`${at}: ${action} hands out cluster credentials`);
    }
    if (dataActions.length) problems.push(`${at}: data actions ${dataActions.join(', ')}`);
    if (
      actions.some((a) => a.toLowerCase() === 'microsoft.containerservice/managedclusters/read')
    ) {
      reader = true;
      for (const action of actions)
        if (!/\/read$/i.test(action))
          problems.push(`${at}: the auditor's role must be read-only (${action})`);
      // Exactly the reads the live source makes (docs/deploy.md), nothing more.
      for (const needed of READER_ACTIONS)
        if (!actions.includes(needed)) problems.push(`${at}: ${needed} missing`);
      for (const action of actions)
        if (!READER_ACTIONS.includes(action))
          problems.push(`${at}: ${action} is not a read the auditor makes`);
    }
  }
  if (!reader) problems.push('no custom read-only role for the auditor (managedClusters/read …)');
  return problems;
}

/**
 * A custom role created in a deployment may not have propagated when the same deployment assigns
 * it (RoleDefinitionDoesNotExist): every assignment of a custom role declared beside it is
 * conditional on a parameter every caller sets from `deployEventSubscriptions`, the second pass
 * that the postdeploy hook retries (docs/deploy.md "What happens on a first run").
 */
function checkCustomRolesAssignedInSecondPass(p: Project): string[] {
  const problems: string[] = [];
  let assigned = 0;
  for (const file of p.files) {
    const customRoles = file.resources
      .filter((r) => r.type.toLowerCase() === 'microsoft.authorization/roledefinitions')
      .map((r) => r.symbol);
    for (const resource of file.resources) {
      if (resource.type.toLowerCase() !== 'microsoft.authorization/roleassignments') continue;
      const roleId = get(resource.body, 'properties.roleDefinitionId')?.text ?? '';
      const role = customRoles.find((symbol) => new RegExp(`\\b${symbol}\\b`).test(roleId));
      if (!role) continue;
      assigned += 1;
      const at = `${line(file, resource.node)} ${resource.symbol}`;
      const condition = /=\s*if\s*\(\s*(\w+)\s*\)\s*\{/.exec(resource.node.text)?.[1];
      if (!condition || !file.params.has(condition)) {
        problems.push(`${at}: assigns the custom role ${role} unconditionally in the first pass`);
        continue;
      }
      const callers = callersOf(p, file.path);
      if (!callers.length) problems.push(`${at}: ${file.path} is not called by any template`);
      for (const { file: caller, module } of callers) {
        const value = get(module.body, `params.${condition}`)?.text;
        if (value !== 'deployEventSubscriptions')
          problems.push(
            `${line(caller, module.node)} ${module.symbol}: ${condition} must be deployEventSubscriptions (is ${value ?? 'missing'})`,
          );
      }
    }
  }
  if (!assigned) problems.push('no custom role assignment found');
  return problems;
}

/** One subscription-scope module per audited subscription, holding the role and the system topic. */
function checkAuditedSubscriptions(p: Project): string[] {
  const problems: string[] = [];
  const main = fileAt(p, 'infra/main.bicep');
  if (!main) return ['infra/main.bicep missing'];
  if (main.targetScope !== 'subscription')
    problems.push('infra/main.bicep must target the subscription scope (azd convention)');
  if (!main.params.has('auditedSubscriptionIds'))
    problems.push('parameter auditedSubscriptionIds missing');
  const perSubscription = main.modules.filter(
    (m) =>
      m.node.descendantsOfType('for_statement').length > 0 &&
      /^subscription\(/.test(get(m.body, 'scope')?.text ?? ''),
  );
  if (perSubscription.length !== 1)
    problems.push(
      'expected one module looping over the audited subscriptions with scope subscription(id)',
    );
  for (const module of perSubscription) {
    const target = fileAt(p, module.target);
    if (!target) problems.push(`${module.target} missing`);
    else {
      if (target.targetScope !== 'subscription')
        problems.push(`${module.target} must target the subscription scope`);
      const reachable = [
        target,
        ...target.modules.map((m) => fileAt(p, m.target)).filter((f): f is BicepFile => !!f),
      ];
      const types = reachable.flatMap((f) => f.resources.map((r) => r.type));
      for (const type of [
        'Microsoft.Authorization/roleDefinitions',
        'Microsoft.Authorization/roleAssignments',
        'Microsoft.EventGrid/systemTopics',
        'Microsoft.EventGrid/systemTopics/eventSubscriptions',
      ]) {
        if (!types.includes(type))
          problems.push(`${module.target}: ${type} missing from the per-subscription deployment`);
      }
    }
  }
  return problems;
}

/** Strings of an array expression, through variables and concat(). */
function arrayStrings(file: BicepFile, node: Node | undefined): string[] {
  const target = deref(file, node);
  if (target?.type === 'call_expression' && callName(target) === 'concat') {
    return (target.childForFieldName('arguments')?.namedChildren ?? []).flatMap((arg) =>
      arrayStrings(file, arg),
    );
  }
  return strings(file, target);
}

/** The HTTP routes the app registers (src/functions), as request paths with sample segment values. */
function appRoutePaths(): string[] {
  const dir = join(ROOT, 'src', 'functions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/route: '([^']+)'/g)].map(
        (m) => `/api/${m[1].replace(/\{[^}]+\}/g, 'x')}`,
      ),
    );
}

function excludes(paths: string[], path: string): boolean {
  return paths.some((e) => e === path || (e.endsWith('/*') && path.startsWith(e.slice(0, -1))));
}

/**
 * Routes a person uses: the dashboard pages, and exemptions (who granted or revoked one is
 * recorded from the App Service Authentication identity). Guarded whenever a client id is given.
 */
const PERSON_ROUTE = /^\/api\/(dashboard|exemptions)(\/|$)/;

/**
 * App Service Authentication: on whenever a client id is given; the health probe and the Event
 * Grid webhook never behind it; without enableAppServiceAuth every route but the person ones
 * (`/api/dashboard…`, `/api/exemptions…`) excluded, with it only the probe and the webhook.
 */
function checkAppServiceAuth(p: Project): string[] {
  const problems: string[] = [];
  const auth = resourcesOf(p, 'Microsoft.Web/sites/config').find(
    ({ resource }) => literal(get(resource.body, 'name')) === 'authsettingsV2',
  );
  if (!auth) return ['no authsettingsV2 (App Service Authentication)'];
  const { file, resource } = auth;
  const body = resource.body;
  const condition = resource.node.text.split('{')[0];
  if (!/if \(!empty\(authClientId\)\)/.test(condition))
    problems.push(
      `authsettingsV2 must be on whenever authClientId is given (is ${condition.trim()})`,
    );
  if (literal(get(body, 'properties.globalValidation.requireAuthentication')) !== 'true')
    problems.push('requireAuthentication must be true');
  if (literal(get(body, 'properties.identityProviders.azureActiveDirectory.enabled')) !== 'true')
    problems.push('the Entra ID provider must be enabled');
  const excluded = deref(file, get(body, 'properties.globalValidation.excludedPaths'));
  if (
    excluded?.type !== 'ternary_expression' ||
    !/^enableAppServiceAuth$/.test(excluded.childForFieldName('condition')?.text ?? '')
  ) {
    return [
      ...problems,
      'excludedPaths must depend on enableAppServiceAuth (whole API, or browser routes only)',
    ];
  }
  const whole = arrayStrings(file, excluded.childForFieldName('consequence') ?? undefined);
  const browserOnly = arrayStrings(file, excluded.childForFieldName('alternative') ?? undefined);
  for (const [mode, paths] of [
    ['whole API', whole],
    ['browser routes', browserOnly],
  ] as const) {
    for (const path of ['/api/health', '/runtime/webhooks/eventgrid'])
      if (!paths.includes(path))
        problems.push(`${mode}: ${path} must be excluded from authentication`);
    const personPaths = [
      '/api/dashboard',
      '/api/dashboard/x',
      '/api/exemptions',
      '/api/exemptions/x',
      ...appRoutePaths().filter((r) => PERSON_ROUTE.test(r)),
    ];
    for (const path of personPaths)
      if (excludes(paths, path))
        problems.push(`${mode}: person route ${path} must not be excluded`);
  }
  for (const path of appRoutePaths().filter((r) => !PERSON_ROUTE.test(r) && r !== '/api/health')) {
    if (excludes(whole, path)) problems.push(`whole API: ${path} must not be excluded`);
    if (!excludes(browserOnly, path))
      problems.push(
        `browser routes: the API route ${path} must be excluded (programs call it with a function key)`,
      );
  }
  return problems;
}

/** No parameter carries a secret: the Teams webhook reaches Key Vault through the hook, not a deployment parameter. */
function checkNoSecretParameters(p: Project): string[] {
  const problems: string[] = [];
  for (const file of p.files) {
    for (const param of file.params.values()) {
      const type = param.node.namedChildren[1]?.text ?? '';
      if (
        param.secure ||
        (type !== 'bool' && /webhook|secret|password|connectionstring|accesskey/i.test(param.name))
      ) {
        problems.push(
          `${line(file, param.node)}: parameter ${param.name} would carry a secret through the deployment (and azd's environment file)`,
        );
      }
    }
  }
  return problems;
}

/** Flex Consumption refuses a maximum instance count below 40: every parameter feeding it says so. */
function checkMaximumInstanceCount(p: Project): string[] {
  const problems: string[] = [];
  for (const file of p.files) {
    const param = file.params.get('maximumInstanceCount');
    if (!param) continue;
    const min = /@minValue\((\d+)\)/.exec(
      file.text
        .slice(0, param.node.startIndex)
        .split(/\n(?=param |var |resource |module |output )/)
        .pop() ?? '',
    )?.[1];
    if (min === undefined || Number(min) < 40)
      problems.push(
        `${line(file, param.node)}: maximumInstanceCount needs @minValue(40) (Flex Consumption's lowest maximum), has ${min ?? 'none'}`,
      );
    if (param.defaultValue && Number(literal(param.defaultValue)) < 40)
      problems.push(`${line(file, param.node)}: maximumInstanceCount defaults below 40`);
  }
  if (!p.files.some((f) => f.params.has('maximumInstanceCount')))
    problems.push('no maximumInstanceCount parameter');
  return problems;
}

/**
 * Authentication switched on without a client id fails the deployment, with a message naming
 * the parameter, before the app is configured: the value handed to the app's authentication is
 * a guard `cond ? id : fail('…authClientId…')`, not the raw parameter.
 */
function checkAuthClientIdGuard(p: Project): string[] {
  const main = fileAt(p, 'infra/main.bicep');
  if (!main) return ['infra/main.bicep missing'];
  const call = main.modules.find((m) => m.target === 'infra/modules/functionApp.bicep');
  const passed = deref(main, get(call?.body, 'params.authClientId'));
  if (!passed) return ['the functionApp module gets no authClientId'];
  if (passed.type !== 'ternary_expression')
    return [`authClientId reaches the app unguarded (${passed.text})`];
  const condition = passed.childForFieldName('condition')?.text ?? '';
  const failing = [
    passed.childForFieldName('consequence'),
    passed.childForFieldName('alternative'),
  ].find((b) => b?.type === 'call_expression' && callName(b) === 'fail');
  const problems: string[] = [];
  if (!/enableAppServiceAuth/.test(condition) || !/empty\(.*authClientId/.test(condition))
    problems.push(
      `the guard must test enableAppServiceAuth and an empty authClientId (is ${condition})`,
    );
  if (!failing) problems.push('the guard must fail() the deployment');
  else if (!/authClientId/.test(failing.text) || !/AUTH_CLIENT_ID/.test(failing.text))
    problems.push('the failure message must name authClientId and AUTH_CLIENT_ID');
  return problems;
}

function checkOutputsOfMain(p: Project): string[] {
  const main = fileAt(p, 'infra/main.bicep');
  const names = main?.outputs.map((o) => o.name) ?? [];
  const problems: string[] = [];
  for (const pattern of [/FUNCTION_APP_NAME/, /HOST_NAME/, /PRINCIPAL_ID/])
    if (!names.some((n) => pattern.test(n)))
      problems.push(`infra/main.bicep: an output matching ${pattern} is missing`);
  return problems;
}

// ---------------------------------------------------------------------------------------------

const REAL = project();

describe('infra: syntax', () => {
  it('finds the templates', () => {
    const paths = REAL.files.map((f) => f.path);
    expect(paths).toContain('infra/main.bicep');
    expect(paths.length).toBeGreaterThan(3);
  });

  it.each(REAL.files.map((f) => f.path))('%s parses without ERROR or MISSING nodes', (path) => {
    expect(checkSyntax({ files: [fileAt(REAL, path) as BicepFile], texts: {} })).toEqual([]);
  });

  it('flags a broken file', () => {
    expect(checkSyntax(broken('infra/main.bicep', /\n\}\n/, '\n\n'))).not.toEqual([]);
    expect(
      checkSyntax(
        broken(
          'infra/modules/storage.bicep',
          'allowSharedKeyAccess: false',
          'allowSharedKeyAccess: false,,',
        ),
      ),
    ).not.toEqual([]);
  });

  it('every module a template calls exists', () => {
    for (const file of REAL.files)
      for (const module of file.modules)
        expect(fileAt(REAL, module.target)?.path).toBe(module.target);
  });
});

interface Detector {
  name: string;
  check: (p: Project) => string[];
  breaks: Array<[string, string | RegExp, string]>;
}

const DETECTORS: Detector[] = [
  {
    name: 'storage: no shared keys, TLS 1.2, no public blobs',
    check: checkStorage,
    breaks: [
      ['infra/modules/storage.bicep', 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true'],
      ['infra/modules/storage.bicep', "minimumTlsVersion: 'TLS1_2'", "minimumTlsVersion: 'TLS1_0'"],
      [
        'infra/modules/storage.bicep',
        'allowBlobPublicAccess: false',
        'allowBlobPublicAccess: true',
      ],
    ],
  },
  {
    name: 'function app: Flex Consumption, https only, TLS 1.2, no FTP, no basic publishing',
    check: checkFunctionApp,
    breaks: [
      ['infra/modules/functionApp.bicep', 'httpsOnly: true', 'httpsOnly: false'],
      ['infra/modules/functionApp.bicep', "minTlsVersion: '1.2'", "minTlsVersion: '1.0'"],
      ['infra/modules/functionApp.bicep', "ftpsState: 'Disabled'", "ftpsState: 'AllAllowed'"],
      ['infra/modules/functionApp.bicep', "name: 'FC1'", "name: 'Y1'"],
      [
        'infra/modules/functionApp.bicep',
        /name: 'scm'\n {2}properties: \{\n {4}allow: false/,
        "name: 'scm'\n  properties: {\n    allow: true",
      ],
    ],
  },
  {
    name: 'Node.js 22',
    check: checkNodeVersion,
    breaks: [
      [
        'infra/modules/functionApp.bicep',
        "param nodeVersion string = '22'",
        "param nodeVersion string = '20'",
      ],
      [
        'infra/main.bicep',
        "@allowed([\n  '22'\n])\nparam nodeVersion",
        "@allowed([\n  '20'\n  '22'\n])\nparam nodeVersion",
      ],
      ['infra/main.bicep', 'nodeVersion: nodeVersion', "nodeVersion: '16'"],
    ],
  },
  {
    name: 'no keys read, no key-based connection string',
    check: checkNoKeys,
    breaks: [
      [
        'infra/modules/functionApp.bicep',
        'AzureWebJobsStorage__accountName: storage.name',
        "AzureWebJobsStorage__accountName: storage.name\n  AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value}'",
      ],
      [
        'infra/modules/email.bicep',
        "output endpoint string = 'https://${communicationService.properties.hostName}'",
        'output endpoint string = communicationService.listKeys().primaryConnectionString',
      ],
    ],
  },
  {
    name: 'no secret in an output',
    check: checkOutputs,
    breaks: [
      [
        'infra/modules/storage.bicep',
        'output name string = storage.name',
        'output name string = storage.name\noutput accountKey string = storage.listKeys().keys[0].value',
      ],
      [
        'infra/modules/keyVault.bicep',
        'output id string = vault.id',
        'output id string = vault.id\noutput teamsWebhookSecret string = vault.properties.vaultUri',
      ],
      [
        'infra/main.bicep',
        'output KEY_VAULT_NAME string = keyVault.outputs.name',
        'output TEAMS_SECRET string = keyVault.outputs.teamsWebhookReference',
      ],
    ],
  },
  {
    name: 'a @secure() parameter only reaches a Key Vault secret',
    check: checkSecureParams,
    breaks: [
      [
        'infra/main.bicep',
        'param teamsWebhookConfigured bool = false',
        "param teamsWebhookConfigured bool = false\n@secure()\nparam teamsWebhookUrl string = ''\noutput leaked string = teamsWebhookUrl",
      ],
      [
        'infra/main.bicep',
        'param teamsWebhookConfigured bool = false',
        "param teamsWebhookConfigured bool = false\n@secure()\nparam teamsWebhookUrl string = 'https://example.webhook.office.com/x'",
      ],
    ],
  },
  {
    name: 'no parameter carries a secret (the Teams webhook goes to Key Vault through the hook)',
    check: checkNoSecretParameters,
    breaks: [
      [
        'infra/main.bicep',
        'param teamsWebhookConfigured bool = false',
        "param teamsWebhookConfigured bool = false\n@secure()\nparam teamsWebhookUrl string = ''",
      ],
      [
        'infra/modules/keyVault.bicep',
        'param teamsWebhookConfigured bool = false',
        "param teamsWebhookConfigured bool = false\nparam teamsWebhookUrl string = ''",
      ],
    ],
  },
  {
    name: 'app settings: known to src/config.ts or the host, identity-based, secrets as Key Vault references',
    check: checkAppSettings,
    breaks: [
      [
        'infra/main.bicep',
        'AUDIT_SCHEDULE: auditSchedule',
        "AUDIT_SCHEDULE: auditSchedule\n    AUDIT_UNKNOWN_SETTING: 'x'",
      ],
      [
        'infra/main.bicep',
        'ALERT_TEAMS_WEBHOOK_URL: keyVault.outputs.teamsWebhookReference',
        'ALERT_TEAMS_WEBHOOK_URL: teamsWebhookUrl',
      ],
      [
        'infra/modules/functionApp.bicep',
        "AzureWebJobsStorage__credential: 'managedidentity'",
        "AzureWebJobsStorage__credential: 'connectionstring'",
      ],
      [
        'infra/modules/functionApp.bicep',
        'AzureWebJobsStorage__accountName: storage.name',
        "AzureWebJobsStorage__accountName: storage.name\n  FUNCTIONS_WORKER_RUNTIME: 'node'",
      ],
      ['infra/modules/functionApp.bicep', /\n {2}AUDIT_STORAGE__queueServiceUri: [^\n]+/, ''],
      [
        'infra/modules/functionApp.bicep',
        "'ClientId=${identityClientId};Authorization=AAD'",
        "'InstrumentationKey=x'",
      ],
      ['infra/modules/monitoring.bicep', 'DisableLocalAuth: true', 'DisableLocalAuth: false'],
      [
        'infra/main.bicep',
        "param auditSchedule string = '0 0 2 * * *'",
        "param auditSchedule string = '0 */5 * * * *'",
      ],
      [
        'infra/main.bicep',
        "param alertMinSeverity string = 'high'",
        "param alertMinSeverity string = 'low'",
      ],
      [
        'infra/modules/keyVault.bicep',
        "'@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${teamsWebhookSecretName})'",
        'vault.properties.vaultUri',
      ],
    ],
  },
  {
    name: 'one user-assigned identity for the app, its storage, its Key Vault references and its package',
    check: checkIdentity,
    breaks: [
      [
        'infra/modules/functionApp.bicep',
        'keyVaultReferenceIdentity: identityId',
        "keyVaultReferenceIdentity: 'SystemAssigned'",
      ],
      [
        'infra/modules/functionApp.bicep',
        "type: 'UserAssignedIdentity'",
        "type: 'SystemAssignedIdentity'",
      ],
      [
        'infra/modules/functionApp.bicep',
        'AUDIT_STORAGE__clientId: identityClientId',
        "AUDIT_STORAGE__clientId: '00000000-0000-0000-0000-000000000000'",
      ],
      [
        'infra/main.bicep',
        'identityClientId: identity.outputs.appIdentityClientId',
        'identityClientId: identity.outputs.eventGridIdentityPrincipalId',
      ],
    ],
  },
  {
    name: 'event subscription: the routed event types and operations (src/core/events.ts), to armEvents, retried and dead-lettered',
    check: checkEventSubscription,
    breaks: [
      [
        'infra/modules/routedOperations.json',
        '    "microsoft.containerservice/managedclusters/agentpools/write",\n',
        '',
      ],
      [
        'infra/modules/routedOperations.json',
        '"operationNames": [\n',
        '"operationNames": [\n    "microsoft.compute/virtualmachines/write",\n',
      ],
      [
        'infra/modules/routedOperations.json',
        '    "Microsoft.Resources.ResourceActionSuccess",\n',
        '',
      ],
      [
        'infra/modules/armEventsTopic.bicep',
        'values: routed.operationNames',
        "values: [\n            'Microsoft.Authorization/roleAssignments/write'\n          ]",
      ],
      [
        'infra/modules/armEventsTopic.bicep',
        "'${functionAppId}/functions/armEvents'",
        "'${functionAppId}/functions/nightlyAudit'",
      ],
      ['infra/modules/armEventsTopic.bicep', "key: 'data.operationName'", "key: 'subject'"],
      ['infra/modules/armEventsTopic.bicep', / {4}retryPolicy: \{[^}]+\}\n/, ''],
      [
        'infra/modules/armEventsTopic.bicep',
        "topicType: 'Microsoft.Resources.Subscriptions'",
        "topicType: 'Microsoft.Resources.ResourceGroups'",
      ],
    ],
  },
  {
    name: 'role assignments: guid(scope, principal, role) names, principalType, the built-in roles',
    check: checkRoleAssignments,
    breaks: [
      [
        'infra/modules/storage.bicep',
        'name: guid(deploymentContainer.id, appPrincipalId, storageBlobDataContributorRoleId)',
        "name: 'blob-data-contributor'",
      ],
      [
        'infra/modules/keyVault.bicep',
        'name: guid(vault.id, appPrincipalId, keyVaultSecretsUserRoleId)',
        'name: guid(vault.id, keyVaultSecretsUserRoleId)',
      ],
      ['infra/modules/monitoring.bicep', "    principalType: 'ServicePrincipal'\n", ''],
      [
        'infra/modules/storage.bicep',
        "'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
        "'17d1049b-9a84-46fb-8f53-869881c3d3ab'",
      ],
    ],
  },
  {
    name: 'custom roles: read-only for the auditor, no wildcard, never cluster credentials',
    check: checkCustomRoles,
    breaks: [
      [
        'infra/modules/auditedSubscription.bicep',
        "  'Microsoft.Resources/subscriptions/read'\n",
        "  'Microsoft.Resources/subscriptions/read'\n  'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'\n",
      ],
      [
        'infra/modules/auditedSubscription.bicep',
        "  'Microsoft.Resources/subscriptions/read'\n",
        "  'Microsoft.Resources/subscriptions/read'\n  'Microsoft.ContainerService/*'\n",
      ],
      [
        'infra/modules/auditedSubscription.bicep',
        "  'Microsoft.Resources/subscriptions/read'\n",
        "  'Microsoft.Resources/subscriptions/read'\n  'Microsoft.Authorization/roleAssignments/write'\n",
      ],
      [
        'infra/modules/email.bicep',
        "'Microsoft.Communication/EmailServices/write'",
        "'Microsoft.Communication/*'",
      ],
      [
        'infra/modules/auditedSubscription.bicep',
        "  'Microsoft.Resources/subscriptions/read'\n",
        "  'Microsoft.Resources/subscriptions/read'\n  'Microsoft.Compute/virtualMachines/read'\n",
      ],
      [
        'infra/modules/auditedSubscription.bicep',
        "  'Microsoft.Authorization/denyAssignments/read'\n",
        '',
      ],
    ],
  },
  {
    name: 'custom roles are assigned in the second pass, which retries while a new role definition propagates',
    check: checkCustomRolesAssignedInSecondPass,
    breaks: [
      ['infra/modules/auditedSubscription.bicep', ' = if (assignReaderRole) {', ' = {'],
      ['infra/modules/email.bicep', ' = if (assignSenderRole) {', " = if (appPrincipalId != '') {"],
      ['infra/main.bicep', 'assignSenderRole: deployEventSubscriptions', 'assignSenderRole: true'],
      ['infra/main.bicep', '      assignReaderRole: deployEventSubscriptions\n', ''],
    ],
  },
  {
    name: 'a subscription-scope module per audited subscription',
    check: checkAuditedSubscriptions,
    breaks: [
      ['infra/main.bicep', "targetScope = 'subscription'", "targetScope = 'resourceGroup'"],
      ['infra/main.bicep', 'scope: subscription(subscriptionId)', 'scope: rg'],
    ],
  },
  {
    name: 'App Service Authentication: on with a client id, browser routes (or the whole API), health and webhook excluded',
    check: checkAppServiceAuth,
    breaks: [
      ['infra/modules/functionApp.bicep', "  '/api/health'\n", ''],
      [
        'infra/modules/functionApp.bicep',
        'requireAuthentication: true',
        'requireAuthentication: false',
      ],
      ['infra/modules/functionApp.bicep', "  '/api/regressions'\n", ''],
      ['infra/modules/functionApp.bicep', "  '/api/clusters/*'\n", "  '/api/*'\n"],
      ['infra/modules/functionApp.bicep', 'if (!empty(authClientId))', 'if (enableAppServiceAuth)'],
      [
        'infra/modules/functionApp.bicep',
        'excludedPaths: enableAppServiceAuth ? machinePaths : concat(machinePaths, apiPaths)',
        'excludedPaths: concat(machinePaths, apiPaths)',
      ],
    ],
  },
  {
    name: 'maximumInstanceCount: at least 40 (Flex Consumption)',
    check: checkMaximumInstanceCount,
    breaks: [
      [
        'infra/main.bicep',
        '@minValue(40)\n@maxValue(1000)\nparam maximumInstanceCount',
        '@minValue(1)\n@maxValue(1000)\nparam maximumInstanceCount',
      ],
      [
        'infra/modules/functionApp.bicep',
        '@minValue(40)\n@maxValue(1000)\nparam maximumInstanceCount',
        '@maxValue(1000)\nparam maximumInstanceCount',
      ],
      [
        'infra/main.bicep',
        'param maximumInstanceCount int = 40',
        'param maximumInstanceCount int = 39',
      ],
    ],
  },
  {
    name: 'authentication without a client id fails the deployment, naming the parameter',
    check: checkAuthClientIdGuard,
    breaks: [
      ['infra/main.bicep', 'authClientId: appServiceAuthClientId', 'authClientId: authClientId'],
      ['infra/main.bicep', /: fail\('authClientId \(azd: AUTH_CLIENT_ID\)[^\n]*/, ": ''"],
      ['infra/main.bicep', "fail('authClientId (azd: AUTH_CLIENT_ID)", "fail('a parameter"],
    ],
  },
  {
    name: 'outputs: app name, host name, identity principal id',
    check: checkOutputsOfMain,
    breaks: [['infra/main.bicep', 'output FUNCTION_APP_HOST_NAME string', 'output APP string']],
  },
];

describe.each(DETECTORS)('infra: $name', ({ check, breaks }) => {
  it('holds for the templates', () => {
    expect(check(REAL)).toEqual([]);
  });

  it.each(breaks.map(([path, from, to], index) => ({ index, path, from, to })))(
    'flags broken copy #$index ($path)',
    ({ path, from, to }) => {
      expect(check(broken(path, from, to))).not.toEqual([]);
    },
  );
});

describe('infra: azd project', () => {
  const yaml = SOURCES['azure.yaml'] ?? '';
  const parameters = SOURCES['infra/main.parameters.json'] ?? '';
  const main = fileAt(REAL, 'infra/main.bicep') as BicepFile;

  it('azure.yaml deploys this package as a function app', () => {
    expect(yaml).toMatch(/^name: [a-z0-9-]+$/m);
    expect(yaml).toMatch(/^services:\n {2}api:\n( {4}.+\n)* {4}project: \.\n/m);
    expect(yaml).toMatch(/^ {4}language: (ts|js)$/m);
    expect(yaml).toMatch(/^ {4}host: function$/m);
    // the function app carries the matching azd-service-name tag
    expect(fileAt(REAL, 'infra/modules/functionApp.bicep')?.text).toContain(
      "'azd-service-name': 'api'",
    );
  });

  it('the azd hooks it names exist', () => {
    for (const [, script] of yaml.matchAll(/run: (\S+)/g))
      expect(existsSync(join(ROOT, script))).toBe(true);
  });

  it('main.parameters.json is valid JSON, uses azd substitution and only names parameters main.bicep declares', () => {
    const substituted = parameters.replace(
      /\$\{([A-Z0-9_]+)(=[^}]*)?\}/g,
      (_m, _name, fallback?: string) => (fallback ? fallback.slice(1) : 'x'),
    );
    const parsed = JSON.parse(substituted) as { parameters: Record<string, { value: unknown }> };
    for (const name of Object.keys(parsed.parameters))
      expect(main.params.has(name) ? name : `${name} (not declared)`).toBe(name);
    for (const variable of ['${AZURE_ENV_NAME}', '${AZURE_LOCATION}', '${AUDITED_SUBSCRIPTION_IDS'])
      expect(parameters).toContain(variable);
    // every parameter without a default is supplied
    for (const param of main.params.values())
      if (!param.defaultValue) expect(Object.keys(parsed.parameters)).toContain(param.name);
  });

  it('the settings the triggers name are set: %AUDIT_SCHEDULE% and the AUDIT_STORAGE queue connection', () => {
    const { settings } = appSettings(REAL);
    const keys = settings.map((s) => s.key);
    const nightly = readFileSync(join(ROOT, 'src/functions/nightlyAudit.ts'), 'utf8');
    for (const [, name] of nightly.matchAll(/%([A-Z0-9_]+)%/g)) expect(keys).toContain(name);
    const queue = readFileSync(join(ROOT, 'src/functions/auditSubscription.ts'), 'utf8');
    const connection = /connection:\s*'([^']+)'/.exec(queue)?.[1];
    expect(connection).toBe('AUDIT_STORAGE');
    expect(keys).toContain(`${connection}__queueServiceUri`);
    expect(keys).toContain(`${connection}__credential`);
  });

  it('the app reads dead letters from the container the event subscriptions dead-letter to', () => {
    const { settings } = appSettings(REAL);
    const setting = settings.find((x) => x.key === 'AUDIT_DEAD_LETTER_CONTAINER');
    const audited = main.modules.find(
      (m) => m.target === 'infra/modules/auditedSubscription.bicep',
    );
    expect(setting?.value.text).toBe('storage.outputs.deadLetterContainerName');
    expect(get(audited?.body, 'params.deadLetterContainerName')?.text).toBe(
      'storage.outputs.deadLetterContainerName',
    );
  });

  it('the queues the app uses exist', () => {
    const fanOut = readFileSync(join(ROOT, 'src/usecases/fanOut.ts'), 'utf8');
    const queue = /AUDIT_QUEUE_NAME = '([^']+)'/.exec(fanOut)?.[1] as string;
    const storage = fileAt(REAL, 'infra/modules/storage.bicep') as BicepFile;
    expect(strings(storage, storage.vars.get('queueNames'))).toEqual([queue, `${queue}-poison`]);
  });
});

describe('infra: CI workflow', () => {
  const ci = SOURCES['.github/workflows/ci.yml'] ?? '';
  it('tests on Node 22 and builds and lints the Bicep', () => {
    expect(ci).toMatch(/node-version: '?22/);
    expect(ci).toContain('npm ci');
    expect(ci).toContain('npm test');
    expect(ci).toContain('az bicep build --file infra/main.bicep');
    expect(ci).toContain('az bicep lint --file infra/main.bicep');
  });
});

describe('infra: every resource against its official type definitions', () => {
  it(`${TYPES_FILE} names its source and date`, () => {
    expect(DATA.source).toMatch(/github\.com\/Azure\/bicep-types-az/);
    expect(DATA.refreshed).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('holds for the templates', () => {
    expect(validate(REAL)).toEqual([]);
  });

  it.each([
    [
      'an API version without type data',
      'infra/modules/monitoring.bicep',
      "'Microsoft.OperationalInsights/workspaces@2023-09-01'",
      "'Microsoft.OperationalInsights/workspaces@2025-02-01'",
      /no type definitions for Microsoft\.OperationalInsights\/workspaces@2025-02-01 .*refresh\.js/,
    ],
    [
      'an unknown property',
      'infra/modules/storage.bicep',
      'allowSharedKeyAccess: false',
      'allowSharedKeyAcess: false',
      /allowSharedKeyAcess: not a property/,
    ],
    [
      'a closed enum value',
      'infra/modules/keyVault.bicep',
      "name: 'standard'",
      "name: 'basic'",
      /properties\.sku\.name: 'basic' is not one of standard, premium/,
    ],
    [
      'a value of the wrong kind',
      'infra/modules/functionApp.bicep',
      'httpsOnly: true',
      "httpsOnly: 'true'",
      /httpsOnly: expected bool, got a string/,
    ],
    [
      'a missing required property',
      'infra/modules/storage.bicep',
      "  sku: {\n    name: 'Standard_LRS'\n  }\n",
      '',
      /sku: required, missing/,
    ],
    [
      'a read-only property',
      'infra/modules/identity.bicep',
      "resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  name: appIdentityName",
      "resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  id: 'x'\n  name: appIdentityName",
      /id: read-only/,
    ],
    [
      'a discriminated object',
      'infra/modules/armEventsTopic.bicep',
      "endpointType: 'AzureFunction'",
      "endpointType: 'AzureFunctions'",
      /endpointType: 'AzureFunctions' is not one of/,
    ],
    [
      'a nested property path',
      'infra/modules/functionApp.bicep',
      'maximumInstanceCount: maximumInstanceCount',
      'maxInstanceCount: maximumInstanceCount',
      /scaleAndConcurrency\.maxInstanceCount: not a property/,
    ],
    [
      'a string pattern',
      'infra/modules/storage.bicep',
      "  name: 'default'\n}\n\nresource deploymentContainer",
      "  name: 'Default Service'\n}\n\nresource deploymentContainer",
      /'Default Service'|does not match|is not one of/,
    ],
  ])('flags %s', (_what, path, from, to, message) => {
    const problems = validate(broken(path, from, to));
    expect(problems.join('\n')).toMatch(message);
  });

  it('flags a parameter whose @allowed values the property does not accept', () => {
    const problems = validate(
      broken(
        'infra/modules/keyVault.bicep',
        "@allowed([\n  'default'\n  'recover'\n])\nparam createMode",
        "@allowed([\n  'default'\n  'recover'\n  'purge'\n])\nparam createMode",
      ),
    );
    expect(problems.join('\n')).toMatch(
      /parameter createMode allows 'purge', not one of recover, default/,
    );
  });
});

namingSuite();
