#!/usr/bin/env node
// Writes infra/modules/routedOperations.json, the Event Grid filter of the deployment, from the
// one list of routed operations in src/core/events.ts (ROUTED_OPERATIONS), so that the filter
// never drops an operation the router acts on. Run through `npm run generate:infra` (which
// builds first); test/infra/routedOperations.test.ts fails when the file is stale.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

/** Event Grid's spelling of the resource event types (the router compares lower case). */
const EVENT_TYPE_NAMES = ['Write', 'Delete', 'Action'].flatMap((verb) =>
  ['Success', 'Failure', 'Cancel'].map((outcome) => `Microsoft.Resources.Resource${verb}${outcome}`),
);

function routedOperationsFilter(routed) {
  const eventTypes = [...new Set(routed.map((r) => r.eventType.toLowerCase()))].map((lower) => {
    const name = EVENT_TYPE_NAMES.find((n) => n.toLowerCase() === lower);
    if (!name) throw new Error(`unknown event type ${lower} in ROUTED_OPERATIONS`);
    return name;
  });
  return {
    '//': 'Generated from ROUTED_OPERATIONS in src/core/events.ts by `npm run generate:infra`; do not edit.',
    eventTypes: eventTypes.sort(),
    operationNames: [...new Set(routed.map((r) => r.operationName.toLowerCase()))].sort(),
  };
}

module.exports = { routedOperationsFilter };

if (require.main === module) {
  // Loaded only when run: the test imports routedOperationsFilter without a build.
  const { ROUTED_OPERATIONS } = require(join(root, 'dist', 'src', 'core', 'events.js'));
  const path = join(root, 'infra', 'modules', 'routedOperations.json');
  writeFileSync(path, `${JSON.stringify(routedOperationsFilter(ROUTED_OPERATIONS), null, 2)}\n`);
  process.stdout.write(`wrote ${path}\n`);
}
