// The host page's web server for the cold-page rows of the benchmark: it serves a fixed list of
// files gzip -9 encoded, as a CDN or a production web server would, so the throttled network
// carries the same compressed bytes the size table counts (the dev gateway serves files as they
// are). Nothing is cacheable. Listens on 127.0.0.1 only.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  // Browsers compile wasm while it streams in only when it is served with this type.
  '.wasm': 'application/wasm',
};

/**
 * Serves files: { '/url/path': '/absolute/file' }, each read and compressed once, at start.
 * Returns { baseUrl, close() }.
 */
export async function startGzipServer(files) {
  const table = new Map();
  for (const [path, file] of Object.entries(files)) {
    const raw = readFileSync(file);
    const type = TYPES[extname(file)];
    if (!type) throw new Error(`gzip-server: no content type for ${file}`);
    table.set(path, { raw, gzip: gzipSync(raw, { level: 9 }), type });
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://host').pathname;
    const entry = table.get(path);
    if (!entry || req.method !== 'GET') {
      res.writeHead(entry ? 405 : 404).end();
      return;
    }
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = gzip ? entry.gzip : entry.raw;
    res.writeHead(200, {
      'Content-Type': entry.type,
      'Content-Length': body.length,
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      Vary: 'Accept-Encoding',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
