// The ceiling: a bare node:http server that answers every request with a body of the asked size
// (GET or POST /bytes/<n>), so each figure can be set against what this machine serves at all.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const bodies = new Map<number, Buffer>();

function bodyOf(size: number): Buffer {
  let body = bodies.get(size);
  if (!body) {
    body = Buffer.alloc(size, 'x');
    if (size >= 2) {
      body[0] = 0x22; // a JSON string, so the content type is true
      body[size - 1] = 0x22;
    }
    bodies.set(size, body);
  }
  return body;
}

const server = createServer((request, response) => {
  request.resume(); // a POST body is read and dropped, as the API reads one
  request.on('end', () => {
    const size = Number(/^\/bytes\/(\d+)/.exec(request.url ?? '')?.[1] ?? 0);
    const body = bodyOf(size);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
