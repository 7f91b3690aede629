#!/usr/bin/env node
'use strict';
/**
 * Generates src/core/data/builtin-roles.json: every Azure built-in role definition (id, name,
 * actions, notActions, dataActions, notDataActions, and a permission block's condition where it
 * has one), with where the data came from.
 *
 * Source: https://github.com/easimon/azure-builtin-roles (MIT), a public archive that a scheduled
 * workflow refreshes from `az role definition list`, one JSON file per built-in role under
 * `azure-roles/`. Usage:
 *
 *   git clone https://github.com/easimon/azure-builtin-roles /tmp/azure-builtin-roles
 *   node scripts/generate-builtin-roles.js /tmp/azure-builtin-roles
 *
 * `scripts/builtin-roles-supplement.json` adds the few built-in roles that listing does not
 * return (tenant-level roles such as Reservations Administrator), from the Microsoft Learn
 * reference; the source wins for any role it has.
 *
 * The output is compact (one role per line, empty lists and descriptions left out) so that it
 * stays small on disk and quick to parse; `src/core/builtinRoles.ts` reads it lazily. Any file
 * that is not a built-in role definition with a GUID name stops the script: a catalogue that
 * silently lost a role would under-report access.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SOURCE_REPOSITORY = 'https://github.com/easimon/azure-builtin-roles';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LISTS = ['actions', 'notActions', 'dataActions', 'notDataActions'];
const OUTPUT = path.join(__dirname, '..', 'src', 'core', 'data', 'builtin-roles.json');
const SUPPLEMENT = path.join(__dirname, 'builtin-roles-supplement.json');

function fail(message) {
  console.error(`generate-builtin-roles: ${message}`);
  process.exit(2);
}

function git(checkout, args) {
  try {
    // Only the checkout's own history: a folder inside some other repository has none.
    const top = execFileSync('git', ['-C', checkout, 'rev-parse', '--show-toplevel'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (path.resolve(top) !== path.resolve(checkout)) return undefined;
    return execFileSync('git', ['-C', checkout, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function stringList(value, where) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) fail(`${where}: expected an array of non-empty strings`);
  return value;
}

function role(file, raw) {
  const where = path.basename(file);
  if (raw.roleType !== 'BuiltInRole') fail(`${where}: roleType is ${JSON.stringify(raw.roleType)}, not BuiltInRole`);
  const guid = String(raw.name ?? '').toLowerCase();
  if (!GUID.test(guid)) fail(`${where}: name ${JSON.stringify(raw.name)} is not a role definition GUID`);
  if (String(raw.id ?? '').toLowerCase() !== `/providers/microsoft.authorization/roledefinitions/${guid}`) fail(`${where}: id does not end in its name`);
  if (typeof raw.roleName !== 'string' || raw.roleName.trim() === '') fail(`${where}: no roleName`);
  if (!Array.isArray(raw.permissions) || raw.permissions.length === 0) fail(`${where}: no permissions`);
  const permissions = raw.permissions.map((block, i) => {
    const out = {};
    for (const list of LISTS) {
      const values = stringList(block[list], `${where} permissions[${i}].${list}`);
      if (values.length > 0) out[list] = values;
    }
    if (typeof block.condition === 'string' && block.condition.trim() !== '') {
      out.condition = block.condition;
      if (block.conditionVersion) out.conditionVersion = String(block.conditionVersion);
    }
    return out;
  });
  return { guid, roleName: raw.roleName, permissions };
}

function main() {
  const checkout = process.argv[2];
  if (!checkout) fail('usage: node scripts/generate-builtin-roles.js <checkout of easimon/azure-builtin-roles>');
  const dir = path.join(checkout, 'azure-roles');
  if (!fs.existsSync(dir)) fail(`${dir}: not found (is ${checkout} a checkout of ${SOURCE_REPOSITORY}?)`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const roles = files.map((f) => role(f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))));
  const byGuid = new Map();
  for (const r of roles) {
    if (byGuid.has(r.guid)) fail(`${r.roleName} and ${byGuid.get(r.guid)} share the id ${r.guid}`);
    byGuid.set(r.guid, r.roleName);
  }
  const supplement = JSON.parse(fs.readFileSync(SUPPLEMENT, 'utf8'));
  const supplemented = [];
  for (const extra of supplement.roles) {
    if (byGuid.has(extra.guid)) continue;
    const raw = { ...extra, name: extra.guid, id: `/providers/Microsoft.Authorization/roleDefinitions/${extra.guid}`, roleType: 'BuiltInRole' };
    roles.push(role(`${path.basename(SUPPLEMENT)} ${extra.roleName}`, raw));
    byGuid.set(extra.guid, extra.roleName);
    supplemented.push(extra.roleName);
  }
  roles.sort((a, b) => a.roleName.localeCompare(b.roleName, 'en') || a.guid.localeCompare(b.guid));
  const source = {
    repository: SOURCE_REPOSITORY,
    path: 'azure-roles/',
    commit: git(checkout, ['rev-parse', 'HEAD']) ?? process.env.SOURCE_COMMIT ?? 'unknown',
    committedAt: git(checkout, ['log', '-1', '--format=%cI', '--', 'azure-roles']) ?? process.env.SOURCE_COMMITTED_AT ?? 'unknown',
    madeWith: 'az role definition list (one file per built-in role), by the source repository\'s scheduled workflow',
    license: 'MIT',
    generatedAt: new Date().toISOString().slice(0, 10),
    generatedBy: 'scripts/generate-builtin-roles.js',
    roles: roles.length,
    supplement: { from: 'scripts/builtin-roles-supplement.json', roles: supplemented },
  };
  const lines = roles.map((r) => JSON.stringify(r));
  fs.writeFileSync(OUTPUT, `{"source":${JSON.stringify(source)},\n"roles":[\n${lines.join(',\n')}\n]}\n`);
  console.log(`${OUTPUT}: ${roles.length} built-in roles from ${source.repository} at ${source.commit} (${source.committedAt})`);
}

main();
