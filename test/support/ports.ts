import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export { freePort } from '../../src/sandbox/ports.js';

/** Starts `server` on 127.0.0.1 at a port the kernel picks and returns that port. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes `server`, dropping idle keep-alive connections so the close does not wait on them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
