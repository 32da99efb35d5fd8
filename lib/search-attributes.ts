// Makes sure the namespace knows Cairn's search attributes before the worker runs: a run that
// upserts an unknown attribute fails its workflow task over and over. New attributes also
// appear when Cairn is upgraded, on servers (and dev databases) registered by older versions.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_CLI_TYPE, SEARCH_ATTRIBUTES } from '../core/journey-contract';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** The operator API's form of the given attributes: name → indexed value type. */
export function indexedTypes(keys: typeof SEARCH_ATTRIBUTES) {
  return Object.fromEntries(keys.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));
}

/** Adds the missing attributes; throws with the commands to run when the server refuses. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: indexedTypes(missing),
    });
  } catch (err) {
    const commands = missing.map(
      (key) => `  temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${SEARCH_ATTRIBUTE_CLI_TYPE[key.type]}`,
    );
    throw new Error(
      `Temporal namespace "${namespace}" lacks Cairn's search attributes and would not add them (${(err as Error).message}). Register them:\n${commands.join('\n')}`,
    );
  }
  return missing.map((key) => key.name);
}
