/**
 * Serves the built explorer (dist/app) on localhost with sirv, for `lossforge explore`. Node-only;
 * the app itself is static and makes no request outside its own origin.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** Where the built app lives: the package's dist/app (the same path from src/server and dist/server). */
export const APP_DIR = fileURLToPath(new URL('../../dist/app/', import.meta.url));

export interface ServeOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on (default 127.0.0.1: the explorer is a local tool). */
  host?: string;
}

export interface RunningExplorer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the server; rejects with a readable message when the app is not built or the port is taken. */
export async function serveExplorer({ port, host = '127.0.0.1' }: ServeOptions): Promise<RunningExplorer> {
  if (!existsSync(`${APP_DIR}index.html`)) {
    throw new Error(`the explorer is not built (${APP_DIR}index.html is missing): run npm run build`);
  }
  const handler = sirv(APP_DIR, { etag: true, dev: false });
  const server: Server = createServer((req, res) => handler(req, res, () => {
    res.statusCode = 404;
    res.end('not found');
  }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port` : error.message)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
