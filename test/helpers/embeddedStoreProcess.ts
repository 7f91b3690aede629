/**
 * A process using the embedded store of a data folder, driven over stdin/stdout by the
 * embedded-store tests (one JSON line per answer):
 *
 *   node -r test/helpers/registerTs.js test/helpers/embeddedStoreProcess.ts DATA_DIR
 *   → {"event":"ready","role":"owner"|"client","pid":…,"ownerPid":…,"tableEndpoint":…}
 *   put TABLE KEY   → {"event":"put"}          (creates the table if needed)
 *   get TABLE KEY   → {"event":"got","found":true|false}
 *   role            → {"event":"role","role":…,"ownerPid":…}
 *   stop            → {"event":"stopped"}, then exits 0
 */
import { TableClient } from '@azure/data-tables';
import { createInterface } from 'readline';
import { startEmbeddedAzurite } from '../../src/adapters/embeddedAzurite';

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const azurite = await startEmbeddedAzurite({ dataDir: process.argv[2] });
  const table = (name: string) =>
    TableClient.fromConnectionString(azurite.connectionString, name, {
      allowInsecureConnection: true,
    });
  say({
    event: 'ready',
    role: azurite.role(),
    pid: process.pid,
    ownerPid: azurite.ownerPid(),
    tableEndpoint: azurite.tableEndpoint,
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, name, key] = line.trim().split(/\s+/);
    try {
      if (command === 'put') {
        await table(name).createTable();
        await table(name).upsertEntity({
          partitionKey: 'p',
          rowKey: key,
          at: new Date().toISOString(),
        });
        say({ event: 'put' });
      } else if (command === 'get') {
        const found = await table(name)
          .getEntity('p', key)
          .then(() => true)
          .catch((error: { statusCode?: number }) => {
            if (error.statusCode === 404) return false;
            throw error;
          });
        say({ event: 'got', found });
      } else if (command === 'role') {
        say({ event: 'role', role: azurite.role(), ownerPid: azurite.ownerPid() });
      } else if (command === 'stop') {
        await azurite.stop();
        say({ event: 'stopped' });
        process.exit(0);
      }
    } catch (error) {
      say({ event: 'error', message: (error as Error).message });
    }
  }
}

main().catch((error: Error) => {
  say({ event: 'error', message: error.message });
  process.exit(1);
});
