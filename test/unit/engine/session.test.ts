import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import { Session } from '../../../src/engine/session.js';
import { BaseMsg, BaseMsgc, DisplayMsgc, LinkErr, MainMsg, MainMsgc } from '../../../src/protocol/constants.js';
import { Writer } from '../../../src/protocol/writer.js';
import { channelsList, fakeNetwork, linked, mainInit as init, settle } from './fake-server.js';

function start(password = 'pw') {
  const net = fakeNetwork();
  const events: EngineEvent[] = [];
  const session = new Session({ url: 'ws://test', password, linkTimeoutMs: 2000 }, (e) => events.push(e), net.factory);
  void session.start();
  return { net, events, session, named: <T extends EngineEvent['type']>(t: T) => events.filter((e) => e.type === t) as Extract<EngineEvent, { type: T }>[] };
}

describe('Session', () => {
  it('should link main with connection id 0 and the password, attach, and link every listed channel with the session id', async () => {
    const { net, named } = start('s3cret');
    const main = net.connections[0]!;
    await linked(main, [0x6]);
    expect(main.link).toMatchObject({ connectionId: 0, channelType: 1, channelId: 0, commonCaps: [0x0b] });
    expect(main.password).toBe('s3cret');
    main.message(MainMsg.Init, init(0xabcdef));
    await settle();
    expect(main.of(MainMsgc.AttachChannels)).toHaveLength(1);
    expect(main.of(MainMsgc.MouseModeRequest)).toHaveLength(1);
    main.message(
      MainMsg.ChannelsList,
      channelsList([
        [2, 0],
        [3, 0],
        [4, 0],
        [5, 0],
      ]),
    );
    await settle();
    // display, inputs, cursor linked; playback listed but not linked by default
    expect(net.connections).toHaveLength(4);
    for (const conn of net.connections.slice(1)) {
      await linked(conn);
      expect(conn.link!.connectionId).toBe(0xabcdef);
    }
    await settle();
    const display = net.connections.find((c) => c.link!.channelType === 2)!;
    expect(display.of(DisplayMsgc.Init)).toHaveLength(1);
    const [connected] = named('connected');
    expect(connected!.session.sessionId).toBe(0xabcdef);
    expect(connected!.session.channels.map((c) => `${c.type}${c.id}:${c.state}`)).toEqual([
      'main0:linked',
      'display0:linked',
      'inputs0:linked',
      'cursor0:linked',
      'playback0:listed',
    ]);
  });

  it('should answer PING with PONG and acknowledge every window of messages after SET_ACK', async () => {
    const { net } = start();
    const main = net.connections[0]!;
    await linked(main);
    main.message(BaseMsg.Ping, new Writer().u32(7).u64(99n).bytes(new Uint8Array(100)).finish());
    main.message(BaseMsg.SetAck, new Writer().u32(5).u32(2).finish());
    for (let i = 0; i < 4; i++) main.message(MainMsg.MultiMediaTime, new Writer().u32(i).finish());
    await settle();
    const [pong] = main.of(BaseMsgc.Pong);
    expect(Array.from(pong!.body)).toEqual([7, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(main.of(BaseMsgc.AckSync)[0]!.body)).toEqual([5, 0, 0, 0]);
    expect(main.of(BaseMsgc.Ack)).toHaveLength(2);
  });

  it('should report auth-failed when the server refuses the ticket, and close every socket', async () => {
    const { net, named, session } = start('wrong');
    const main = net.connections[0]!;
    main.open();
    main.replyLink(0, []);
    await settle();
    main.linkResult(LinkErr.PermissionDenied);
    await settle();
    expect(named('disconnected')).toEqual([{ type: 'disconnected', code: 'auth-failed', reason: expect.stringContaining('PermissionDenied'), clean: false }]);
    expect(main.closed).toBe(true);
    expect(session.openSockets).toBe(0);
  });

  it('should report protocol for a peer that is not SPICE', async () => {
    const { net, named } = start();
    const main = net.connections[0]!;
    main.open();
    main.push(new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await settle();
    expect(named('disconnected')[0]).toMatchObject({ code: 'protocol', clean: false });
  });

  it('should report protocol for a truncated message body and ignore everything after', async () => {
    const { net, named } = start();
    const main = net.connections[0]!;
    await linked(main);
    main.message(MainMsg.Init, new Uint8Array(10));
    main.message(MainMsg.Init, init(1));
    await settle();
    expect(named('disconnected')).toHaveLength(1);
    expect(named('disconnected')[0]).toMatchObject({ code: 'protocol' });
    expect(named('connected')).toHaveLength(0);
  });

  it('should report transport-closed once when the server goes away mid-session', async () => {
    const { net, named, session } = start();
    const main = net.connections[0]!;
    await linked(main);
    main.message(MainMsg.Init, init(2));
    main.message(MainMsg.ChannelsList, channelsList([[2, 0]]));
    await settle();
    await linked(net.connections[1]!);
    await settle();
    expect(named('connected')).toHaveLength(1);
    net.connections[1]!.close();
    main.close();
    await settle();
    expect(named('disconnected')).toEqual([{ type: 'disconnected', code: 'transport-closed', reason: expect.any(String), clean: false }]);
    expect(session.openSockets).toBe(0);
  });

  it('should keep the session when a secondary channel cannot link, and report the channel failed', async () => {
    const { net, named } = start();
    const main = net.connections[0]!;
    await linked(main);
    main.message(MainMsg.Init, init(3));
    main.message(
      MainMsg.ChannelsList,
      channelsList([
        [9, 0],
        [3, 0],
      ]),
    );
    await settle();
    const [usb, inputs] = [net.connections[1]!, net.connections[2]!];
    usb.open();
    usb.replyLink(LinkErr.ChannelNotAvailable);
    await linked(inputs);
    await settle();
    expect(named('disconnected')).toHaveLength(0);
    const channels = named('connected')[0]!.session.channels;
    expect(channels.find((c) => c.type === 'usbredir')).toMatchObject({ state: 'failed', error: expect.stringContaining('ChannelNotAvailable') });
  });

  it('should add channels announced later by a single-entry CHANNELS_LIST', async () => {
    const { net, named } = start();
    const main = net.connections[0]!;
    await linked(main);
    main.message(MainMsg.Init, init(4));
    main.message(MainMsg.ChannelsList, channelsList([]));
    await settle();
    expect(named('connected')).toHaveLength(1);
    main.message(MainMsg.ChannelsList, channelsList([[9, 0]]));
    await settle();
    expect(net.connections).toHaveLength(2);
    net.connections[1]!.open();
    expect(net.connections[1]!.link).toMatchObject({ channelType: 9, connectionId: 4 });
    expect(
      named('channels')
        .at(-1)!
        .channels.map((c) => `${c.type}${c.id}:${c.state}`),
    ).toEqual(['main0:linked', 'usbredir0:linking']);
  });

  it('should time out a server that never answers the link', async () => {
    const net = fakeNetwork();
    const events: EngineEvent[] = [];
    const session = new Session({ url: 'ws://test', linkTimeoutMs: 50 }, (e) => events.push(e), net.factory);
    await session.start();
    expect(events.at(-1)).toMatchObject({ type: 'disconnected', code: 'timeout' });
  });

  it('should end with code client and nothing open on disconnect()', async () => {
    const { net, named, session } = start();
    await linked(net.connections[0]!);
    session.disconnect();
    session.disconnect();
    expect(named('disconnected')).toEqual([{ type: 'disconnected', code: 'client', reason: expect.any(String), clean: true }]);
    expect(session.openSockets).toBe(0);
  });
});
