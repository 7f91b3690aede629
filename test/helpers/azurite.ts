/**
 * A real Azurite (Table + Queue) for tests: in memory, on free loopback ports, one per test file.
 * Stop it in `afterAll`.
 *
 *   let azurite: TestAzurite;
 *   beforeAll(async () => { azurite = await startAzurite(); });
 *   afterAll(() => azurite.stop());
 */
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../../src/adapters/embeddedAzurite';

export type TestAzurite = EmbeddedAzurite;

export async function startAzurite(): Promise<TestAzurite> {
  return startEmbeddedAzurite({ inMemory: true });
}

let tableSequence = 0;

/**
 * A table-name prefix unique within the test process, so tests sharing one Azurite do not see
 * each other's rows (table names: letters and digits, starting with a letter).
 */
export function uniqueTablePrefix(label = 't'): string {
  tableSequence += 1;
  const clean = label.replace(/[^A-Za-z0-9]/g, '').slice(0, 20) || 't';
  return `${/^[A-Za-z]/.test(clean) ? clean : `t${clean}`}${process.pid}x${tableSequence}`;
}
