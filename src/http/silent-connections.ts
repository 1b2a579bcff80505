/**
 * Connections that never sent a request. Node's closeIdleConnections() leaves
 * them open (only a connection that finished a request counts as idle), so a
 * client's spare connection, opened and never used, would hold a graceful stop
 * until the idle timeout. The stop closes them.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function trackSilentConnections(server: Server): () => void {
  const silent = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    silent.add(socket);
    socket.once('close', () => silent.delete(socket));
  });
  server.on('request', (request: { socket: Socket }) => silent.delete(request.socket));
  return () => {
    for (const socket of silent) socket.destroy();
    silent.clear();
  };
}
