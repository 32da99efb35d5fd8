// GET /messages over plain HTTP: how `npm start` shows a new user what a local provider received.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MessageViewer {
  port: number;
  close(): void;
}

export async function startMessageViewer(port: number, host: string, messages: readonly unknown[]): Promise<MessageViewer> {
  const server = http.createServer((req, res) => {
    const found = req.url === '/messages';
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(found ? { messages } : { error: 'try GET /messages' }, null, 2));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
