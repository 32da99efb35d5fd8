// Connection options for Temporal, shared by the API's client and the worker.
import { readFileSync } from 'node:fs';
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
