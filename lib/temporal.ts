// Connection options for Temporal, shared by the API's client and the worker, and small helpers
// for the client.
import { readFileSync } from 'node:fs';
import { WorkflowExecutionDescription, WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { Config } from './config';

export function temporalConnectionOptions(config: Config['temporal']): {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
} {
  const tls: TLSConfig | boolean | undefined = config.tlsCertPath
    ? { clientCertPair: { crt: readFileSync(config.tlsCertPath), key: readFileSync(config.tlsKeyPath!) } }
    : config.tls || undefined;
  return { address: config.address, tls, apiKey: config.apiKey };
}

/** The workflow's description, or undefined when Temporal has no such workflow (never, or past retention). */
export async function describeIfExists(handle: WorkflowHandle): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
