/**
 * The console takes any ws:// or wss:// URL as it is: a per-VM token in the path (`/spice/<token>`, as the
 * nginx deployment routes) or in the query survives unchanged into every channel's WebSocket, main and the
 * channels linked after it. Checked against the session with a scripted network.
 */
import { describe, expect, it } from 'vitest';
import { Session } from '../../../src/engine/session.js';
import type { TransportFactory } from '../../../src/engine/transport.js';
import { MainMsg } from '../../../src/protocol/constants.js';
import { channelsList, fakeNetwork, linked, mainInit, settle } from '../engine/fake-server.js';

async function urlsOpened(url: string): Promise<string[]> {
  const net = fakeNetwork();
  const urls: string[] = [];
  const factory: TransportFactory = (u, handlers) => {
    urls.push(u);
    return net.factory(u, handlers);
  };
  const session = new Session({ url, password: '', linkTimeoutMs: 2000 }, () => {}, factory);
  void session.start();
  const main = net.connections[0]!;
  await linked(main);
  main.message(MainMsg.Init, mainInit(0x1234));
  main.message(
    MainMsg.ChannelsList,
    channelsList([
      [2, 0],
      [3, 0],
      [4, 0],
    ]),
  );
  await settle();
  for (const conn of net.connections.slice(1)) await linked(conn);
  await settle();
  session.disconnect();
  return urls;
}

describe('WebSocket URLs with tokens', () => {
  for (const url of [
    'wss://console.example.org/spice/3f2a9c1e-token',
    'wss://console.example.org:8443/spice/tok?vm=42&sig=a%2Fb%3D',
    'ws://127.0.0.1:5959/websockify?token=abc',
    'wss://[2001:db8::1]:443/spice/t0k#frag',
  ]) {
    it(`should open every channel at exactly ${url}`, async () => {
      const urls = await urlsOpened(url);
      expect(urls.length).toBe(4);
      expect(new Set(urls)).toEqual(new Set([url]));
    });
  }
});
