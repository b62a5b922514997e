// Serves the built lab page (dist/lab) on loopback with the cross-origin isolation headers that the
// threaded kernels need (SharedArrayBuffer): COOP same-origin, COEP require-corp.
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.json': 'application/json',
};

export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** The file a request path names inside `folder` ('/' is index.html), or undefined if it escapes it. */
export function fileFor(folder: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(urlPath, 'http://x').pathname);
  } catch {
    return undefined;
  }
  const root = resolve(folder);
  const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

/** Starts the server on `host`:`port` (0: any free port); resolves once it listens. */
export async function serveLab(folder: string, port: number, host = '127.0.0.1'): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const file = fileFor(folder, req.url ?? '/');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (!file || !(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...ISOLATION_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...ISOLATION_HEADERS }).end('not found\n');
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the lab server has no address');
  return { url: `http://${host}:${address.port}/`, server };
}
