import { describe, expect, it } from 'vitest';
import type { KeyboardLocks } from '../../../src/api/input.js';
import { InputsChannel } from '../../../src/engine/channels/inputs-channel.js';
import { InputsMsg, InputsMsgc } from '../../../src/protocol/constants.js';
import { Writer } from '../../../src/protocol/writer.js';
import { fakeNetwork, settle, testContext, type FakeConnection } from '../engine/fake-server.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** An inputs channel linked to a scripted server (with KEY_SCANCODE unless `caps` says otherwise). */
async function linkedInputs(caps: number[] = [0x1]) {
  const net = fakeNetwork();
  const locks: KeyboardLocks[] = [];
  const failures: string[] = [];
  const channel = new InputsChannel(
    testContext(net.factory, 77, failures, (e) => e.type === 'keyboard-locks' && locks.push(e.locks)),
    0,
  );
  channel.open();
  const conn = net.connections[0]!;
  conn.open();
  conn.replyLink(0, caps);
  await settle();
  conn.linkResult(0);
  await settle();
  expect(channel.linked).toBe(true);
  /** Client messages after the link, as "type: body hex". */
  const sent = (from = 0) => conn.messages.slice(from).map((m) => `${m.type}: ${hex(m.body)}`);
  return { channel, conn, locks, failures, sent };
}

const key = (scancode: number, down: boolean) => ({ type: 'key' as const, scancode, down });
const ack = (conn: FakeConnection) => conn.message(InputsMsg.MouseMotionAck);

describe('InputsChannel', () => {
  it('should link as type 3 with the session id and announce KEY_SCANCODE', async () => {
    const { conn } = await linkedInputs();
    expect(conn.link).toMatchObject({ connectionId: 77, channelType: 3, channelId: 0, channelCaps: [0x1] });
  });

  it('should send key presses, repeats and releases packed, and drop releases of keys it never pressed', async () => {
    const { channel, sent } = await linkedInputs();
    channel.input([key(0x1e, true), key(0x1e, true), key(0x1e, false), key(0x1e, false), key(0x11d, true), key(0x11d, false), key(0x30, false)]);
    expect(sent()).toEqual(['101: 1e 00 00 00', '101: 1e 00 00 00', '102: 9e 00 00 00', '101: e0 1d 00 00', '102: e0 9d 00 00']);
  });

  it('should ignore key events that are not scan codes', async () => {
    const { channel, sent, failures } = await linkedInputs();
    channel.input([key(0, true), key(0x9e, true), key(0xe11d45, true), key(Number.NaN, true), { type: 'nope' } as never]);
    expect(sent()).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('should release every held key (latest first) and button on releaseAll, once', async () => {
    const { channel, sent } = await linkedInputs();
    channel.input([key(0x2a, true), key(0x138, true), { type: 'position', x: 5, y: 6, displayId: 0 }, { type: 'button', button: 'left', down: true }]);
    const from = sent().length;
    channel.releaseAll();
    channel.releaseAll();
    expect(sent().slice(from)).toEqual(['102: e0 b8 00 00', '102: aa 00 00 00', '114: 01 00 00']);
    expect(channel.heldKeys()).toEqual([]);
  });

  it('should send a sendKeys combo as one KEY_SCANCODE, and as KEY_DOWN/KEY_UP without the cap', async () => {
    const a = await linkedInputs();
    a.channel.sendKeys(['ControlLeft', 'AltLeft', 'Delete']);
    expect(a.sent()).toEqual(['104: 1d 38 e0 53 e0 d3 b8 9d']);
    const b = await linkedInputs([]);
    b.channel.sendKeys(['AltLeft', 'Tab']);
    expect(b.sent()).toEqual(['101: 38 00 00 00', '101: 0f 00 00 00', '102: 8f 00 00 00', '102: b8 00 00 00']);
    expect(() => b.channel.sendKeys(['AltLeft', 'NoSuchKey'])).toThrow(RangeError);
    expect(b.sent()).toHaveLength(4);
  });

  it('should report the guest lock state from INIT and KEY_MODIFIERS, and send KEY_MODIFIERS only on a difference', async () => {
    const { channel, conn, locks, sent } = await linkedInputs();
    conn.message(InputsMsg.Init, new Writer().u16(0x2).finish());
    conn.message(InputsMsg.KeyModifiers, new Writer().u16(0x6 | 0xf0).finish());
    await settle();
    expect(locks).toEqual([
      { scrollLock: false, numLock: true, capsLock: false },
      { scrollLock: false, numLock: true, capsLock: true },
    ]);
    channel.input([{ type: 'locks', locks: { scrollLock: false, numLock: true, capsLock: true } }]);
    expect(sent()).toEqual([]);
    channel.input([{ type: 'locks', locks: { scrollLock: true, numLock: false, capsLock: false } }]);
    expect(sent()).toEqual([`${InputsMsgc.KeyModifiers}: 01 00`]);
  });

  it('should send absolute positions with the display id and hold them back past two unacknowledged bunches', async () => {
    const { channel, conn, sent } = await linkedInputs();
    for (let i = 0; i < 10; i++) channel.input([{ type: 'position', x: 100 + i, y: 200, displayId: 1 }]);
    // 8 sent (2 bunches of 4), the 9th and 10th coalesce into the latest one, waiting for an ack.
    expect(sent()).toHaveLength(8);
    expect(sent()[0]).toBe('112: 64 00 00 00 c8 00 00 00 00 00 01');
    ack(conn);
    await settle();
    expect(sent()).toHaveLength(9);
    expect(sent()[8]).toBe('112: 6d 00 00 00 c8 00 00 00 00 00 01');
  });

  it('should send relative motion, adding up fractions, and flush it before a button press', async () => {
    const { channel, sent } = await linkedInputs();
    channel.input([
      { type: 'motion', dx: 0.6, dy: -0.6 },
      { type: 'motion', dx: 0.6, dy: -0.6 },
      { type: 'button', button: 'right', down: true },
      { type: 'button', button: 'right', down: false },
      { type: 'button', button: 'middle', down: true },
    ]);
    expect(sent()).toEqual(['111: 01 00 00 00 ff ff ff ff 00 00', '113: 03 04 00', '114: 03 00 00', '113: 02 02 00']);
  });

  it('should turn wheel notches into UP/DOWN press+release pairs', async () => {
    const { channel, sent } = await linkedInputs();
    channel.input([
      { type: 'wheel', notches: 1 },
      { type: 'wheel', notches: -1 },
    ]);
    expect(sent()).toEqual(['113: 05 00 00', '114: 05 00 00', '113: 04 00 00', '114: 04 00 00']);
  });

  it('should drop input with a bad display id or unknown button, and everything once closed', async () => {
    const { channel, sent } = await linkedInputs();
    channel.input([
      { type: 'position', x: 1, y: 1, displayId: 256 },
      { type: 'button', button: 'fifth' as never, down: true },
    ]);
    channel.close();
    channel.input([key(0x1e, true)]);
    channel.sendKeys(['KeyA']);
    expect(sent()).toEqual([]);
  });
});
