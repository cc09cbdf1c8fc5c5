// AgentSession against a scripted agent: capability negotiation in both orders, display config, monitors
// config, clipboard both ways, file transfer paced by tokens, reset on disconnect.
import { describe, expect, it } from 'vitest';
import { AgentSession, type AgentSessionEvent } from '../../../src/agent/agent-session.js';
import { clientAgentCapWords } from '../../../src/agent/caps.js';
import {
  parseAnnounceCapabilities,
  parseClipboard,
  parseClipboardGrab,
  parseClipboardRequest,
  parseDisplayConfig,
  parseFileXferData,
  parseFileXferStart,
  parseFileXferStatus,
  parseMaxClipboard,
  parseMonitorsConfig,
  writeAnnounceCapabilities,
  writeClipboard,
  writeClipboardGrab,
  writeClipboardRelease,
  writeClipboardRequest,
  writeFileXferStatus,
  type ClipboardLayout,
} from '../../../src/agent/messages.js';
import { AgentReassembler } from '../../../src/agent/stream.js';
import { AgentCap, AgentMsg } from '../../../src/protocol/constants.js';
import { capsToWords } from '../../../src/protocol/caps.js';
import { utf8Decode, utf8Encode } from '../../../src/protocol/utf8.js';

const WINDOWS_AGENT = [
  AgentCap.MouseState,
  AgentCap.MonitorsConfig,
  AgentCap.Reply,
  AgentCap.DisplayConfig,
  AgentCap.ClipboardByDemand,
  AgentCap.GuestLineendCrlf,
  AgentCap.MonitorsConfigPosition,
];
const LINUX_AGENT = [
  AgentCap.MouseState,
  AgentCap.MonitorsConfig,
  AgentCap.Reply,
  AgentCap.ClipboardByDemand,
  AgentCap.ClipboardSelection,
  AgentCap.SparseMonitorsConfig,
  AgentCap.GuestLineendLf,
  AgentCap.MaxClipboard,
  AgentCap.FileXferDetailedErrors,
  AgentCap.ClipboardNoReleaseOnRegrab,
  AgentCap.ClipboardGrabSerial,
];

function harness(tokens = 1000) {
  const bodies: Uint8Array[] = [];
  const events: AgentSessionEvent[] = [];
  const agentSide = new AgentReassembler();
  const received: { type: number; payload: Uint8Array }[] = [];
  const s = new AgentSession({
    sendData: (b) => {
      expect(b.byteLength).toBeLessThanOrEqual(2048);
      bodies.push(b);
      for (const m of agentSide.push(b)) received.push({ type: m.header.type, payload: m.payload });
    },
    emit: (e) => events.push(e),
    log: () => {},
  });
  return {
    s,
    bodies,
    events,
    received,
    /** Messages of `type` the agent received, and forget them. */
    take(type: number) {
      const out = received.filter((m) => m.type === type);
      received.splice(0, received.length, ...received.filter((m) => m.type !== type));
      return out.map((m) => m.payload);
    },
    connect() {
      s.agentConnected(tokens);
    },
    agentSends(msg: Uint8Array) {
      s.data(msg);
    },
    of<T extends AgentSessionEvent['type']>(type: T) {
      return events.filter((e): e is Extract<AgentSessionEvent, { type: T }> => e.type === type);
    },
  };
}
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('capability negotiation', () => {
  it('client first: announces with request=1 on connect; the agent answers without request; nothing more', () => {
    const h = harness();
    h.connect();
    const [ours] = h.take(AgentMsg.AnnounceCapabilities);
    expect(parseAnnounceCapabilities(ours!)).toEqual({ request: true, caps: clientAgentCapWords() });
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    expect(h.take(AgentMsg.AnnounceCapabilities)).toHaveLength(0);
    expect(h.s.capNames).toContain('clipboard-grab-serial');
    expect(h.of('agent').at(-1)).toMatchObject({ connected: true, fileTransferAvailable: true });
  });

  it('agent first (it asks): the client answers with request=0', () => {
    const h = harness();
    h.connect();
    h.take(AgentMsg.AnnounceCapabilities);
    h.agentSends(writeAnnounceCapabilities(true, capsToWords(WINDOWS_AGENT)));
    const [answer] = h.take(AgentMsg.AnnounceCapabilities);
    expect(parseAnnounceCapabilities(answer!).request).toBe(false);
  });

  it('announces again when the agent reconnects, and forgets the old caps', () => {
    const h = harness();
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    h.s.agentDisconnected();
    expect(h.s.capNames).toEqual([]);
    expect(h.of('agent').at(-1)).toMatchObject({ connected: false, caps: [] });
    h.take(AgentMsg.AnnounceCapabilities);
    h.connect();
    expect(h.take(AgentMsg.AnnounceCapabilities).map((p) => parseAnnounceCapabilities(p).request)).toEqual([true]);
  });

  it('MAX_CLIPBOARD goes to an agent that announces it', () => {
    const h = harness();
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    expect(h.take(AgentMsg.MaxClipboard).map(parseMaxClipboard)).toEqual([100 * 1024 * 1024]);
  });

  it('drops data while no agent is connected, and a partial message when it goes', () => {
    const h = harness();
    h.s.data(writeAnnounceCapabilities(false, [1]));
    expect(h.s.capNames).toEqual([]);
    h.connect();
    const caps = writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT));
    h.s.data(caps.subarray(0, 10));
    h.s.agentDisconnected();
    h.connect();
    h.s.data(caps);
    expect(h.s.capNames.length).toBe(LINUX_AGENT.length);
  });
});

describe('DISPLAY_CONFIG (WAN options)', () => {
  const wan = { wanOptions: true, colorDepth: 16 as const, disableEffects: ['all' as const], osType: 'windows' };

  it('waits for the agent to announce DISPLAY_CONFIG, then sends what oVirt means, and again on change', () => {
    const h = harness();
    h.s.setWanOptions(wan);
    expect(h.of('display-config').at(-1)).toMatchObject({ sent: false });
    h.connect();
    expect(h.take(AgentMsg.DisplayConfig)).toHaveLength(0);
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(WINDOWS_AGENT)));
    expect(h.take(AgentMsg.DisplayConfig).map(parseDisplayConfig)).toEqual([{ flags: 15, depth: 16 }]);
    expect(h.of('display-config').at(-1)).toEqual({ type: 'display-config', flags: 15, depth: 16, effects: ['wallpaper', 'font-smooth', 'animation'], sent: true });
    h.s.setWanOptions({ ...wan, colorDepth: 32, disableEffects: ['animation'] });
    expect(h.take(AgentMsg.DisplayConfig).map(parseDisplayConfig)).toEqual([{ flags: 4 | 8, depth: 32 }]);
    h.s.setWanOptions({ ...wan, wanOptions: false });
    expect(h.take(AgentMsg.DisplayConfig).map(parseDisplayConfig)).toEqual([{ flags: 0, depth: 0 }]);
  });

  it('is not sent to an agent without DISPLAY_CONFIG, and says why', () => {
    const h = harness();
    h.s.setWanOptions(wan);
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    expect(h.take(AgentMsg.DisplayConfig)).toHaveLength(0);
    expect(h.of('display-config').at(-1)).toMatchObject({ sent: false, reason: 'the guest agent does not announce DISPLAY_CONFIG' });
  });

  it('is sent again after the agent restarts', () => {
    const h = harness();
    h.s.setWanOptions(wan);
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(WINDOWS_AGENT)));
    h.s.agentDisconnected();
    h.take(AgentMsg.DisplayConfig);
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(WINDOWS_AGENT)));
    expect(h.take(AgentMsg.DisplayConfig).map(parseDisplayConfig)).toEqual([{ flags: 15, depth: 16 }]);
  });
});

describe('MONITORS_CONFIG', () => {
  const mons = [{ width: 1024, height: 768, x: 0, y: 0 }, null, { width: 800, height: 600, x: 1024, y: 0 }];
  it('sparse agent: every index kept, disabled ones 0×0', () => {
    const h = harness();
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    expect(h.s.setMonitorsConfig(mons).sent).toBe(true);
    const [cfg] = h.take(AgentMsg.MonitorsConfig).map(parseMonitorsConfig);
    expect(cfg!.flags).toBe(1); // USE_POS; no PHYSICAL_SIZE without millimetres (spice-vdagentd rejects the trailer)
    expect(cfg!.monitors.map((m) => [m.width, m.height, m.x])).toEqual([
      [1024, 768, 0],
      [0, 0, 0],
      [800, 600, 1024],
    ]);
  });
  it('agent without SPARSE: only the enabled ones; sent when the caps arrive', () => {
    const h = harness();
    h.s.setMonitorsConfig(mons);
    h.connect();
    expect(h.take(AgentMsg.MonitorsConfig)).toHaveLength(0);
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(WINDOWS_AGENT)));
    const [cfg] = h.take(AgentMsg.MonitorsConfig).map(parseMonitorsConfig);
    expect(cfg!.monitors.map((m) => [m.width, m.height, m.x])).toEqual([
      [1024, 768, 0],
      [800, 600, 1024],
    ]);
  });
  it('rejects nonsense', () => {
    const h = harness();
    expect(() => h.s.setMonitorsConfig([])).toThrow(RangeError);
    expect(() => h.s.setMonitorsConfig([{ width: -1, height: 5, x: 0, y: 0 }])).toThrow(RangeError);
    expect(() => h.s.setMonitorsConfig(Array(17).fill(null))).toThrow(RangeError);
  });
});

describe('clipboard', () => {
  const linuxLayout: ClipboardLayout = { selection: true, grabSerial: true };
  function linux() {
    const h = harness();
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    h.received.length = 0;
    return h;
  }

  it('page → guest: GRAB with selection and serial, REQUEST answered with the text', () => {
    const h = linux();
    expect(
      h.s.offerClipboard([
        { mime: 'text/plain', data: utf8Encode('a\nb') },
        { mime: 'text/html', data: utf8Encode('<b>') },
      ]),
    ).toEqual(['text/plain']);
    expect(h.take(AgentMsg.ClipboardGrab).map((p) => parseClipboardGrab(linuxLayout, p))).toEqual([{ selection: 0, serial: 0, types: [1] }]);
    h.agentSends(writeClipboardRequest(linuxLayout, { selection: 0, type: 1 }));
    const [clip] = h.take(AgentMsg.Clipboard).map((p) => parseClipboard(linuxLayout, p));
    expect(clip!.type).toBe(1);
    expect(utf8Decode(clip!.data)).toBe('a\nb');
    expect(h.of('clipboard').at(-1)).toEqual({ type: 'clipboard', kind: 'data', direction: 'to-guest', types: ['text/plain'], size: 3 });
    // The next grab carries the next serial.
    h.s.offerClipboard([{ mime: 'text/plain', data: utf8Encode('c') }]);
    expect(h.take(AgentMsg.ClipboardGrab).map((p) => parseClipboardGrab(linuxLayout, p).serial)).toEqual([1]);
  });

  it('a CRLF guest gets CRLF and its CRLF comes back as LF; no selection bytes for an agent without them', () => {
    const h = harness();
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(WINDOWS_AGENT)));
    const plain = { selection: false, grabSerial: false };
    h.s.offerClipboard([{ mime: 'text/plain', data: utf8Encode('x\ny\r\nz') }]);
    h.agentSends(writeClipboardRequest(plain, { selection: 0, type: 1 }));
    expect(utf8Decode(parseClipboard(plain, h.take(AgentMsg.Clipboard)[0]!).data)).toBe('x\r\ny\r\nz');
    h.agentSends(writeClipboardGrab(plain, { selection: 0, types: [1] }));
    const read = h.s.readGuestClipboard('text/plain');
    expect(parseClipboardRequest(plain, h.take(AgentMsg.ClipboardRequest)[0]!)).toEqual({ selection: 0, type: 1 });
    h.agentSends(writeClipboard(plain, { selection: 0, type: 1, data: utf8Encode('p\r\nq') }));
    return read.then((bytes) => expect(utf8Decode(bytes)).toBe('p\nq'));
  });

  it('guest → page: GRAB (serial checked) announced, REQUEST on read, data resolves it', async () => {
    const h = linux();
    h.agentSends(writeClipboardGrab(linuxLayout, { selection: 0, serial: 5, types: [1] }));
    expect(h.of('clipboard')).toHaveLength(0); // wrong serial: a lost race, dropped
    h.agentSends(writeClipboardGrab(linuxLayout, { selection: 0, serial: 0, types: [1, 2] }));
    expect(h.of('clipboard').at(-1)).toEqual({ type: 'clipboard', kind: 'grab', direction: 'from-guest', types: ['text/plain', 'image/png'], size: 0 });
    const read = h.s.readGuestClipboard();
    h.agentSends(writeClipboard(linuxLayout, { selection: 0, type: 1, data: utf8Encode('héllo') }));
    expect(utf8Decode(await read)).toBe('héllo');
    // PRIMARY selection grabs do not touch the clipboard.
    h.agentSends(writeClipboardGrab(linuxLayout, { selection: 1, serial: 0, types: [1] }));
    expect(h.s.guestClipboardTypes).toEqual(['text/plain', 'image/png']);
    h.agentSends(writeClipboardRelease(linuxLayout, 0));
    expect(h.s.guestClipboardTypes).toEqual([]);
    await expect(h.s.readGuestClipboard()).rejects.toMatchObject({ code: 'clipboard-empty' });
  });

  it('answers a request it cannot serve with type NONE; a pending read fails when the agent goes', async () => {
    const h = linux();
    h.agentSends(writeClipboardRequest(linuxLayout, { selection: 0, type: 1 }));
    expect(parseClipboard(linuxLayout, h.take(AgentMsg.Clipboard)[0]!).type).toBe(0);
    h.agentSends(writeClipboardGrab(linuxLayout, { selection: 0, serial: 0, types: [1] }));
    const read = h.s.readGuestClipboard();
    h.s.agentDisconnected();
    await expect(read).rejects.toMatchObject({ code: 'agent-disconnected' });
  });

  it('the policy is enforced on both directions', async () => {
    const h = linux();
    h.s.setClipboardPolicy('from-guest');
    expect(() => h.s.offerClipboard([{ mime: 'text/plain', data: utf8Encode('x') }])).toThrow(/policy is from-guest/);
    h.s.setClipboardPolicy('to-guest');
    h.agentSends(writeClipboardGrab(linuxLayout, { selection: 0, serial: 0, types: [1] }));
    h.agentSends(writeClipboardRelease(linuxLayout, 0));
    expect(h.of('clipboard')).toHaveLength(0);
    await expect(h.s.readGuestClipboard()).rejects.toMatchObject({ code: 'clipboard-policy' });
    h.s.offerClipboard([{ mime: 'text/plain', data: utf8Encode('x') }]);
    h.s.setClipboardPolicy('off');
    expect(h.take(AgentMsg.ClipboardRelease)).toHaveLength(1);
    h.agentSends(writeClipboardRequest(linuxLayout, { selection: 0, type: 1 }));
    expect(parseClipboard(linuxLayout, h.take(AgentMsg.Clipboard)[0]!).type).toBe(0);
  });

  it('large content is cut into AGENT_DATA bodies and arrives whole', () => {
    const h = linux();
    const big = utf8Encode('z'.repeat(100_000));
    h.s.offerClipboard([{ mime: 'text/plain', data: big }]);
    h.agentSends(writeClipboardRequest(linuxLayout, { selection: 0, type: 1 }));
    expect(parseClipboard(linuxLayout, h.take(AgentMsg.Clipboard)[0]!).data.byteLength).toBe(100_000);
  });
});

describe('file transfer', () => {
  const file = (bytes: Uint8Array, name = 'f.bin') => ({ name, size: bytes.byteLength, read: async (o: number, n: number) => bytes.slice(o, o + n) });
  function linux(tokens = 1000) {
    const h = harness(tokens);
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords(LINUX_AGENT)));
    h.received.length = 0;
    return h;
  }

  it('START, then DATA only after CAN_SEND_DATA, bytes intact, then SUCCESS', async () => {
    const h = linux();
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 255);
    const id = h.s.sendFile(file(bytes, 'report.pdf'));
    expect(h.take(AgentMsg.FileXferStart).map(parseFileXferStart)).toEqual([{ id, name: 'report.pdf', size: 200_000 }]);
    await flush();
    expect(h.take(AgentMsg.FileXferData)).toHaveLength(0);
    h.agentSends(writeFileXferStatus({ id, result: 0 }));
    for (let i = 0; i < 10; i++) await flush();
    const data = h.take(AgentMsg.FileXferData).map(parseFileXferData);
    expect(data.every((d) => d.id === id)).toBe(true);
    expect(Buffer.concat(data.map((d) => d.data)).equals(Buffer.from(bytes))).toBe(true);
    h.agentSends(writeFileXferStatus({ id, result: 3 }));
    expect(h.of('file-transfer').at(-1)).toEqual({ type: 'file-transfer', id, name: 'report.pdf', size: 200_000, sent: 200_000, state: 'success', status: 'success' });
  });

  it('is paced by tokens: never more bodies than tokens, continues as tokens come', async () => {
    const h = linux(5);
    const bytes = new Uint8Array(50_000).fill(7);
    h.s.sendFile(file(bytes));
    h.agentSends(writeFileXferStatus({ id: 1, result: 0 }));
    for (let i = 0; i < 5; i++) await flush();
    let granted = 5;
    expect(h.bodies.length).toBe(granted); // every token spent, none more
    while (h.of('file-transfer').at(-1)!.sent < 50_000 || h.s.queuedBodies > 0) {
      h.s.grantTokens(3);
      granted += 3;
      for (let i = 0; i < 3; i++) await flush();
      expect(h.bodies.length).toBeLessThanOrEqual(granted);
      expect(granted).toBeLessThan(1000);
    }
    expect(Buffer.concat(h.take(AgentMsg.FileXferData).map((p) => parseFileXferData(p).data)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reports every refusal with its status, with the detailed errors', () => {
    const cases: [number, string, Partial<Parameters<typeof writeFileXferStatus>[0]>, RegExp][] = [
      [1, 'cancelled', {}, /cancelled/],
      [2, 'error', { error: { errorType: 0, errorCode: 14 } }, /GIO error 14/],
      [4, 'not-enough-space', { diskFreeSpace: 1234 }, /1234 bytes free/],
      [5, 'session-locked', {}, /locked/],
      [6, 'vdagent-not-connected', {}, /no agent/],
      [7, 'disabled', {}, /disabled/],
    ];
    for (const [result, status, extra, message] of cases) {
      const h = linux();
      const id = h.s.sendFile(file(new Uint8Array(10)));
      h.agentSends(writeFileXferStatus({ id, result, ...extra }));
      const last = h.of('file-transfer').at(-1)!;
      expect(last).toMatchObject({ id, status, state: result === 1 ? 'cancelled' : 'error' });
      expect(last.error).toMatch(message);
    }
  });

  it('cancel sends STATUS CANCELLED and stops the data', async () => {
    const h = linux();
    const id = h.s.sendFile(file(new Uint8Array(1_000_000)));
    h.agentSends(writeFileXferStatus({ id, result: 0 }));
    expect(h.s.cancelFileTransfer(id)).toBe(true);
    for (let i = 0; i < 5; i++) await flush();
    expect(h.take(AgentMsg.FileXferStatus).map(parseFileXferStatus)).toEqual([{ id, result: 1 }]);
    expect(h.take(AgentMsg.FileXferData).length).toBeLessThanOrEqual(1);
    expect(h.of('file-transfer').at(-1)).toMatchObject({ state: 'cancelled' });
    expect(h.s.cancelFileTransfer(id)).toBe(false);
  });

  it('nothing is offered when the agent announces FILE_XFER_DISABLED; transfers fail when the agent goes', () => {
    const h = harness();
    expect(() => h.s.sendFile(file(new Uint8Array(1)))).toThrow(/no guest agent/);
    h.connect();
    h.agentSends(writeAnnounceCapabilities(false, capsToWords([...LINUX_AGENT, AgentCap.FileXferDisabled])));
    expect(h.s.fileTransferAvailable).toBe(false);
    expect(h.of('agent').at(-1)).toMatchObject({ fileTransferAvailable: false });
    expect(() => h.s.sendFile(file(new Uint8Array(1)))).toThrow(/disabled/);
    const g = linux();
    g.s.sendFile(file(new Uint8Array(1)));
    g.s.agentDisconnected();
    expect(g.of('file-transfer').at(-1)).toMatchObject({ state: 'error', status: 'agent-disconnected' });
  });

  it('an empty file sends one empty DATA', async () => {
    const h = linux();
    const id = h.s.sendFile(file(new Uint8Array(0)));
    h.agentSends(writeFileXferStatus({ id, result: 0 }));
    for (let i = 0; i < 3; i++) await flush();
    expect(h.take(AgentMsg.FileXferData).map((p) => parseFileXferData(p).data.byteLength)).toEqual([0]);
  });
});
