#!/usr/bin/env node
// Refreshes test/infra/bicep-types/types.json: the official resource type definitions
// (Azure/bicep-types-az, the generated `types.json` files the Bicep compiler itself uses) for
// exactly the type@apiVersion pairs the templates under infra/ declare, reduced to what the
// offline check (bicepTypes.test.ts) reads: no descriptions, only the types reachable from
// those resources, renumbered. It records the source, its commit when known, and the date.
//
//   node test/infra/bicep-types/refresh.js                      # from GitHub (raw.githubusercontent.com)
//   node test/infra/bicep-types/refresh.js --from <checkout>    # from a local clone of Azure/bicep-types-az
//
// Add a resource or change an API version in infra/, run this, commit the result.
'use strict';
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..', '..');
const OUT = join(__dirname, 'types.json');
const REMOTE = 'https://raw.githubusercontent.com/Azure/bicep-types-az/main/generated';

function bicepFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? bicepFiles(full) : entry.endsWith('.bicep') ? [full] : [];
  });
}

/** Every `resource x 'Type@version'` of the templates (existing ones too: their names are checked). */
function declaredResourceTypes() {
  const found = new Set();
  for (const file of bicepFiles(join(ROOT, 'infra'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*resource\s+\w+\s+'([^'@]+)@([^']+)'/gm)) found.add(`${m[1]}@${m[2]}`);
  }
  return [...found].sort();
}

/** Where the type files come from: a local checkout or GitHub. */
function source(from) {
  if (from) {
    const generated = existsSync(join(from, 'generated')) ? join(from, 'generated') : from;
    return {
      name: 'https://github.com/Azure/bicep-types-az (generated/, from a local checkout)',
      async candidates(namespace, version) {
        return readdirSync(generated)
          .map((provider) => join(provider, namespace.toLowerCase(), version, 'types.json'))
          .filter((path) => existsSync(join(generated, path)));
      },
      async read(path) {
        return JSON.parse(readFileSync(join(generated, path), 'utf8'));
      },
    };
  }
  let index;
  return {
    name: 'https://github.com/Azure/bicep-types-az (generated/index.json, main)',
    async candidates(namespace, version) {
      index ??= await (await fetch(`${REMOTE}/index.json`)).json();
      const paths = new Set();
      for (const [key, ref] of Object.entries(index.resources)) {
        const [type, v] = key.split('@');
        if (v === version && type.split('/')[0].toLowerCase() === namespace.toLowerCase()) paths.add(ref.$ref.split('#')[0]);
      }
      return [...paths];
    },
    async read(path) {
      const response = await fetch(`${REMOTE}/${path}`);
      if (!response.ok) throw new Error(`${REMOTE}/${path}: HTTP ${response.status}`);
      return response.json();
    },
  };
}

const KEEP = ['$type', 'name', 'value', 'flags', 'discriminator', 'minLength', 'maxLength', 'pattern', 'minValue', 'maxValue', 'sensitive'];

/** Copies the types reachable from `start` out of `types` into `out`, renumbering references. */
function extract(types, start, out, seen) {
  const index = Number(start.$ref.slice(2));
  if (seen.has(index)) return { $ref: `#/${seen.get(index)}` };
  const at = out.length;
  seen.set(index, at);
  out.push(null);
  const type = types[index];
  const copy = {};
  for (const key of KEEP) if (type[key] !== undefined) copy[key] = type[key];
  const ref = (r) => extract(types, r, out, seen);
  if (type.body) copy.body = ref(type.body);
  if (type.itemType) copy.itemType = ref(type.itemType);
  if (type.additionalProperties) copy.additionalProperties = ref(type.additionalProperties);
  if (type.elements) {
    copy.elements = Array.isArray(type.elements)
      ? type.elements.map(ref)
      : Object.fromEntries(Object.entries(type.elements).map(([k, r]) => [k, ref(r)]));
  }
  for (const key of ['properties', 'baseProperties']) {
    if (type[key]) copy[key] = Object.fromEntries(Object.entries(type[key]).map(([name, p]) => [name, { type: ref(p.type), flags: p.flags ?? 0 }]));
  }
  out[at] = copy;
  return { $ref: `#/${at}` };
}

async function main() {
  const fromFlag = process.argv.indexOf('--from');
  const from = fromFlag > 0 ? process.argv[fromFlag + 1] : undefined;
  const src = source(from);
  const types = [];
  const resources = {};
  /** Per source file: its type index → our index, so types shared by resources are kept once. */
  const seenByFile = new Map();
  for (const key of declaredResourceTypes()) {
    const [type, version] = key.split('@');
    let found;
    for (const path of await src.candidates(type.split('/')[0], version)) {
      const file = await src.read(path);
      const i = file.findIndex((t) => t.$type === 'ResourceType' && t.name.toLowerCase() === key.toLowerCase());
      if (i >= 0) {
        found = { file, i, path };
        break;
      }
    }
    if (!found) throw new Error(`${key}: no type definition in ${src.name}`);
    if (!seenByFile.has(found.path)) seenByFile.set(found.path, new Map());
    resources[key] = extract(found.file, { $ref: `#/${found.i}` }, types, seenByFile.get(found.path));
  }
  const commitFlag = process.argv.indexOf('--commit');
  const data = {
    source: src.name,
    ...(commitFlag > 0 ? { commit: process.argv[commitFlag + 1] } : {}),
    refreshed: new Date().toISOString().slice(0, 10),
    refresh: 'node test/infra/bicep-types/refresh.js [--from <checkout of Azure/bicep-types-az> --commit <sha>]',
    resources,
    types,
  };
  writeFileSync(OUT, `${JSON.stringify(data)}\n`);
  process.stdout.write(`wrote ${OUT}: ${Object.keys(resources).length} resource types, ${types.length} type entries\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
