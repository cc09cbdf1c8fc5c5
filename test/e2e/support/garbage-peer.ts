/**
 * A peer that accepts the WebSocket upgrade like spice-server does and then answers the link with bytes
 * that are not SPICE. Only for proving that such a peer ends the session with code `protocol`.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface GarbagePeer {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

export async function startGarbagePeer(garbage: Uint8Array = new TextEncoder().encode('HTTP/1.0 200 OK\r\n\r\nhello, this is not SPICE at all')): Promise<GarbagePeer> {
  const sockets = new Set<import('node:stream').Duplex>();
  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('end', () => socket.destroy());
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const protocol = req.headers['sec-websocket-protocol'] ? 'Sec-WebSocket-Protocol: binary\r\n' : '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${protocol}\r\n`);
    // One unmasked binary frame (payload < 126 bytes) as the answer to whatever the client links with.
    socket.once('data', () => socket.write(Buffer.concat([Buffer.from([0x82, garbage.length]), Buffer.from(garbage)])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
