/** A webhook receiver on 127.0.0.1 that records every request and answers as told. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  id: string;
  type: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  got: Received[];
  hits: number;
  /** Decides the answer to each request (after it is recorded). */
  answer: (req: Received, n: number, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function receiver(): Promise<Receiver> {
  const r: Receiver = { url: '', got: [], hits: 0, answer: (_q, _n, res) => res.writeHead(200).end(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      r.hits++;
      const parsed = JSON.parse(body) as { id: string; type: string };
      const got = { method: req.method ?? '', id: parsed.id, type: parsed.type, headers: req.headers, body, at: Date.now() };
      r.got.push(got);
      r.answer(got, r.hits, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
