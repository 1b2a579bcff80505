// The baseline for bench/accept.mjs: a bare node:http server that reads the
// whole request body and answers 200 with a fixed {"message_id": ...}, i.e.
// the least any Node HTTP server must do per request. No parsing, no storage.
//
//   node bench/bare-server.mjs PORT [HOST]   → prints "ready" once listening
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';
const reply = JSON.stringify({ message_id: '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b' });
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(reply) };

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    Buffer.concat(chunks); // the body is read in full, like a real handler would
    res.writeHead(200, headers);
    res.end(reply);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, host, () => process.stdout.write('ready\n'));

const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
