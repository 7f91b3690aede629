/**
 * Names on a live estate: an estate source whose estates carry what a principal directory
 * (Microsoft Graph) says about every principal their role assignments name. A directory that
 * cannot be read is a `directory` failure of the estate (names absent, never invented), not an
 * error of the whole read. A source that already brings directory data (a snapshot with
 * `principals.json`) is left as it is.
 */
import type { Estate } from '../core/model';
import type { EstateSource, PrincipalDirectory } from '../core/ports';
import { applyDirectory, principalIdsOf } from '../core/principals';

export function withDirectory(source: EstateSource, directory: PrincipalDirectory): EstateSource {
  return {
    kind: source.kind,
    watchedSubscriptions: () => source.watchedSubscriptions(),
    health: () => source.health(),
    async readEstate(filter) {
      return nameEstate(await source.readEstate(filter), directory);
    },
  };
}

/** The estate with the directory's answers applied (see `applyDirectory`), or with a `directory` failure. */
export async function nameEstate(estate: Estate, directory: PrincipalDirectory): Promise<Estate> {
  if (estate.directory) return estate;
  const ids = principalIdsOf(estate);
  if (ids.length === 0) return estate;
  try {
    const principals = await directory.lookup(ids);
    return applyDirectory({ ...estate, directory: { source: directory.name, principals, complete: true } });
  } catch (error) {
    const message = `${directory.name} could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return { ...estate, failures: [...estate.failures, { subscriptionId: '*', part: 'directory', message }] };
  }
}
