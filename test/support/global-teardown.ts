import type { ManagedProcess } from '../../dev/servers';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __cairnServers?: ManagedProcess[] }).__cairnServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
}
