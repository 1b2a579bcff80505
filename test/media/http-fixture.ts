import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server on a loopback address that records every TCP connection,
 * so tests can prove a refused fetch never connected and an aborted one closed
 * its socket.
 */
export interface Fixture {
  host: string;
  port: number;
  /** `http://host:port` */
  origin: string;
  connections: number;
  /** Sockets still open. */
  openSockets: () => number;
  /** Resolves when every socket has closed, or rejects after `ms`. */
  waitForSocketsClosed: (ms: number) => Promise<void>;
  close: () => Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startFixture(handler: Handler, host = '127.0.0.1'): Promise<Fixture> {
  const sockets = new Set<Socket>();
  const server: Server = createServer(handler);
  const fixture: Fixture = {
    host,
    port: 0,
    origin: '',
    connections: 0,
    openSockets: () => sockets.size,
    waitForSocketsClosed: (ms) => waitUntil(() => sockets.size === 0, ms),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket: Socket) => {
    fixture.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  fixture.port = (server.address() as AddressInfo).port;
  fixture.origin = `http://${host}:${fixture.port}`;
  return fixture;
}

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Writes 64 KB chunks until the client goes away (bounded by the socket closing). */
export function endless(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk)) {
      // keep writing until the kernel buffer is full
    }
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}
