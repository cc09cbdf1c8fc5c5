// The agent through the engine's Session and main channel, against the scripted SPICE peer: AGENT_START
// before any AGENT_DATA, capabilities announced on connect and reconnect, tokens never overspent,
// agent messages reassembled across AGENT_DATA, a hostile size ends the session as a protocol error.
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import { Session } from '../../../src/engine/session.js';
import { AgentReassembler } from '../../../src/agent/stream.js';
import { parseAnnounceCapabilities, parseDisplayConfig, writeAnnounceCapabilities } from '../../../src/agent/messages.js';
import { AgentCap, AgentMsg, MainMsg, MainMsgc } from '../../../src/protocol/constants.js';
import { capsToWords } from '../../../src/protocol/caps.js';
import { Writer } from '../../../src/protocol/writer.js';
import { fakeNetwork, linked, mainInit, settle } from '../engine/fake-server.js';

const u32 = (v: number) => new Writer(4).u32(v).finish();

async function start() {
  const net = fakeNetwork();
  const events: EngineEvent[] = [];
  const session = new Session(
    { url: 'ws://test', linkTimeoutMs: 2000, agent: { wan: { wanOptions: true, colorDepth: 16, disableEffects: ['all'], osType: 'windows' }, clipboard: 'both' } },
    (e) => events.push(e),
    net.factory,
  );
  void session.start();
  const main = net.connections[0]!;
  await linked(main);
  /** Agent messages the server received from the client, reassembled. */
  const agentMessages = () => {
    const r = new AgentReassembler();
    return main.of(MainMsgc.AgentData).flatMap((m) => r.push(m.body));
  };
  return { main, events, session, agentMessages };
}

describe('agent over the main channel', () => {
  it('AGENT_START first, then caps with request=1; the DISPLAY_CONFIG follows the agent caps, reassembled across AGENT_DATA', async () => {
    const { main, events, agentMessages } = await start();
    main.message(MainMsg.Init, mainInit(7, 1));
    await settle();
    const types = main.messages.map((m) => m.type).filter((t) => t === MainMsgc.AgentStart || t === MainMsgc.AgentData);
    expect(types).toEqual([MainMsgc.AgentStart, MainMsgc.AgentData]);
    expect([...main.of(MainMsgc.AgentStart)[0]!.body]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(parseAnnounceCapabilities(agentMessages()[0]!.payload).request).toBe(true);
    const caps = writeAnnounceCapabilities(false, capsToWords([AgentCap.DisplayConfig, AgentCap.ClipboardByDemand]));
    main.message(MainMsg.AgentData, caps.subarray(0, 7));
    main.message(MainMsg.AgentData, caps.subarray(7));
    await settle();
    const dc = agentMessages().filter((m) => m.header.type === AgentMsg.DisplayConfig);
    expect(dc.map((m) => parseDisplayConfig(m.payload))).toEqual([{ flags: 15, depth: 16 }]);
    expect(events.filter((e) => e.type === 'agent').at(-1)).toEqual({
      type: 'agent',
      connected: true,
      caps: ['display-config', 'clipboard-by-demand'],
      fileTransferAvailable: true,
    });
  });

  it('never sends more AGENT_DATA than tokens; AGENT_TOKEN releases the rest; a reconnect announces again', async () => {
    const { main, agentMessages } = await start();
    main.message(MainMsg.Init, mainInit(8, 0));
    await settle();
    expect(main.of(MainMsgc.AgentData)).toHaveLength(0);
    main.message(MainMsg.AgentConnectedTokens, u32(1));
    await settle();
    expect(main.of(MainMsgc.AgentStart)).toHaveLength(1);
    expect(main.of(MainMsgc.AgentData)).toHaveLength(1);
    main.message(MainMsg.AgentData, writeAnnounceCapabilities(true, capsToWords([AgentCap.DisplayConfig, AgentCap.MaxClipboard])));
    await settle();
    // Owed: our answer to request=1, MAX_CLIPBOARD, DISPLAY_CONFIG — and no token to send them.
    expect(main.of(MainMsgc.AgentData)).toHaveLength(1);
    main.message(MainMsg.AgentToken, u32(2));
    await settle();
    expect(main.of(MainMsgc.AgentData)).toHaveLength(3);
    main.message(MainMsg.AgentToken, u32(5));
    await settle();
    expect(agentMessages().map((m) => m.header.type)).toEqual([
      AgentMsg.AnnounceCapabilities,
      AgentMsg.AnnounceCapabilities,
      AgentMsg.MaxClipboard,
      AgentMsg.DisplayConfig,
    ]);
    main.message(MainMsg.AgentDisconnected, u32(0));
    main.message(MainMsg.AgentConnectedTokens, u32(10));
    await settle();
    expect(main.of(MainMsgc.AgentStart)).toHaveLength(2);
    const last = agentMessages().at(-1)!;
    expect(last.header.type).toBe(AgentMsg.AnnounceCapabilities);
    expect(parseAnnounceCapabilities(last.payload).request).toBe(true);
  });

  it("a plain AGENT_CONNECTED keeps INIT's token count; a second AGENT_CONNECTED_TOKENS for a live agent sets it", async () => {
    const { main, agentMessages } = await start();
    main.message(MainMsg.Init, mainInit(10, 0)); // 10 tokens, no agent yet
    await settle();
    main.message(MainMsg.AgentConnected);
    await settle();
    expect(main.of(MainMsgc.AgentStart)).toHaveLength(1);
    expect(agentMessages().map((m) => m.header.type)).toEqual([AgentMsg.AnnounceCapabilities]);
    main.message(MainMsg.AgentConnectedTokens, u32(0));
    await settle();
    expect(main.of(MainMsgc.AgentStart)).toHaveLength(1); // same agent: no second AGENT_START, no new announce
    main.message(MainMsg.AgentData, writeAnnounceCapabilities(true, capsToWords([AgentCap.DisplayConfig])));
    await settle();
    expect(main.of(MainMsgc.AgentData)).toHaveLength(1); // no tokens now
    main.message(MainMsg.AgentToken, u32(10));
    await settle();
    expect(agentMessages().map((m) => m.header.type)).toEqual([AgentMsg.AnnounceCapabilities, AgentMsg.AnnounceCapabilities, AgentMsg.DisplayConfig]);
  });

  it('an agent message above the size limit ends the session as a protocol error naming the limit', async () => {
    const { main, events } = await start();
    main.message(MainMsg.Init, mainInit(9, 1));
    await settle();
    main.message(MainMsg.AgentData, new Writer().u32(1).u32(4).u64(0n).u32(0xfffffff0).finish());
    await settle();
    const end = events.find((e) => e.type === 'disconnected');
    expect(end).toMatchObject({ code: 'protocol' });
    expect((end as { reason: string }).reason).toMatch(/exceeds the limit of 104861696 bytes \(MAX_AGENT_MESSAGE_SIZE\)/);
  });
});
