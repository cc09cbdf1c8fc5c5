/**
 * Engine: the page's input port (InputPortMessages) reaches the same calls as comlink, in order: input batches
 * and keys to the inputs channel, release-all, and mouse-mode requests to the main channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import type { InputPortMessage } from '../../../src/api/input.js';
import { Engine } from '../../../src/engine/engine.js';
import { ChannelType, InputsMsgc, MainMsg, MainMsgc } from '../../../src/protocol/constants.js';
import { channelsList, fakeNetwork, linked, mainInit, settle } from './fake-server.js';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

async function connected() {
  const net = fakeNetwork();
  const events: EngineEvent[] = [];
  const engine = new Engine(net.factory);
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const done = engine.connect({ url: 'ws://test', password: '' }, (e) => events.push(e), undefined, port2);
  await settle(10);
  const main = net.connections[0]!;
  await linked(main);
  main.message(MainMsg.Init, mainInit(5)); // server mode current, both supported
  main.message(MainMsg.ChannelsList, channelsList([[ChannelType.Inputs, 0]]));
  await settle();
  const inputs = net.connections[1]!;
  await linked(inputs, [0x1]);
  await done;
  const post = async (message: InputPortMessage) => {
    port1.postMessage(message);
    await settle(10);
  };
  return { engine, main, inputs, post, events };
}

describe('Engine input port', () => {
  it('should send batches, keys, release-all and mouse-mode requests that arrive on the port', async () => {
    const { main, inputs, post, events } = await connected();
    expect(events.some((e) => e.type === 'connected')).toBe(true);
    const requestsBefore = main.of(MainMsgc.MouseModeRequest).length;
    await post({ type: 'input', batch: [{ type: 'key', scancode: 0x1e, down: true }] });
    expect(inputs.of(InputsMsgc.KeyDown)).toHaveLength(1);
    await post({ type: 'keys', codes: ['ControlLeft', 'KeyC'] });
    expect(inputs.of(InputsMsgc.KeyScancode)).toHaveLength(1);
    await post({ type: 'input', batch: [{ type: 'key', scancode: 0x30, down: true }] });
    await post({ type: 'release-all' });
    expect(inputs.of(InputsMsgc.KeyUp)).toHaveLength(2); // 0x1e and 0x30: the combo let go of its own keys only
    await post({ type: 'mouse-mode', mode: 'server' });
    expect(main.of(MainMsgc.MouseModeRequest)).toHaveLength(requestsBefore + 1);
  });

  it('should ignore a malformed message and keys it cannot name', async () => {
    const { inputs, post } = await connected();
    await post({ type: 'nonsense' } as unknown as InputPortMessage);
    await post({ type: 'keys', codes: ['NoSuchKey'] });
    await post({ type: 'input', batch: [{ type: 'key', scancode: 0x1e, down: true }] });
    expect(inputs.of(InputsMsgc.KeyDown)).toHaveLength(1);
    expect(inputs.of(InputsMsgc.KeyScancode)).toHaveLength(0);
  });
});
