/**
 * A Transport over a plain TCP socket, for running the engine's Session under Node against a real SPICE
 * server (spice-server takes plain SPICE and WebSocket on the same port): benchmarks and Node-side tests
 * that need QEMU without a browser.
 */
import { Socket } from 'node:net';
import type { TransportFactory } from '../../../src/engine/transport.js';

/** `url` is ws://host:port (as the page would use); the socket goes to host:port. */
export const tcpTransport: TransportFactory = (url, handlers) => {
  const { hostname, port } = new URL(url);
  const socket = new Socket();
  socket.setNoDelay(true);
  let opened = false;
  let closed = false;
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    handlers.onClose({ opened, reason });
  };
  socket.on('connect', () => {
    opened = true;
    handlers.onOpen();
  });
  socket.on('data', (chunk: Buffer) => handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  socket.on('error', (e) => finish(e.message));
  socket.on('close', () => finish('socket closed'));
  socket.connect(Number(port), hostname);
  return {
    send(bytes) {
      if (!closed) socket.write(bytes);
    },
    close() {
      if (closed) return;
      // end(), not destroy(): what was written still goes out before the FIN. A reset in the middle of a
      // client message makes spice-server 0.15.1 abort (char-device.cpp write_buffer_release assertion),
      // taking QEMU with it.
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
      finish('closed by client');
    },
    get buffered() {
      return socket.writableLength;
    },
  };
};
