// The worker's one Prometheus endpoint: GET /metrics on its own address
// (CAIRN_WORKER_METRICS_ADDRESS) answers with Cairn's metrics (lib/metrics.ts) followed by the
// Temporal SDK's (task latencies, slots, sticky cache). The SDK's runtime can only export
// through an HTTP server of its own, so that one listens on a loopback port and is read at
// each scrape: one scrape target per worker, two registries behind it.
import { createServer, Server } from 'node:http';
import { freePort } from '../lib/free-port';
import { registry } from '../lib/metrics';

/** A free loopback address for the SDK runtime's exporter (Runtime.install's prometheus bindAddress). */
export async function sdkMetricsAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

/** Listens on `address` (host:port; port 0 takes a free one) and serves /metrics; `sdkAddress` is where the runtime exports, if it does. */
export async function serveWorkerMetrics(address: string, sdkAddress?: string): Promise<Server> {
  const split = address.lastIndexOf(':');
  const host = address.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void scrape(sdkAddress).then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`cairn worker: metrics failed: ${err instanceof Error ? err.message : err}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(split + 1)), host, resolve);
  });
  return server;
}

async function scrape(sdkAddress: string | undefined): Promise<string> {
  const ours = await registry.metrics();
  if (!sdkAddress) return ours;
  // The SDK's part missing (its exporter not up yet) leaves Cairn's served, and says so.
  const sdk = await fetch(`http://${sdkAddress}/metrics`)
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .catch((err: unknown) => `# cairn: the Temporal SDK's metrics could not be read: ${err instanceof Error ? err.message : err}\n`);
  return `${ours}\n${sdk}`;
}
