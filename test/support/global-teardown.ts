import { rmSync } from 'node:fs';
import type { ManagedProcess } from '../../dev/servers';
import { testRunDir } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __cairnServers?: ManagedProcess[] }).__cairnServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(testRunDir(), { recursive: true, force: true });
}
