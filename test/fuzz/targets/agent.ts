/**
 * Fuzz targets for the vd_agent layer (src/agent/): every payload parser behind a one-byte selector (seeds:
 * valid payloads from the agent's own writers), the AGENT_DATA reassembler fed the input cut in two, and a
 * whole AgentSession receiving the input as agent data from a connected agent (every reply it sends must
 * stay within 2048-byte AGENT_DATA bodies). Each input must end in a result or a ProtocolError; the
 * reassembler is bounded by MAX_AGENT_MESSAGE_SIZE (src/protocol/limits.ts), checked on the header.
 */
import { AgentSession } from '../../../src/agent/agent-session.js';
import {
  AGENT_HEADER_SIZE,
  parseAnnounceCapabilities,
  parseAudioVolumeSync,
  parseClipboard,
  parseClipboardGrab,
  parseClipboardRelease,
  parseClipboardRequest,
  parseDisplayConfig,
  parseFileXferData,
  parseFileXferStart,
  parseFileXferStatus,
  parseGraphicsDeviceInfo,
  parseMaxClipboard,
  parseMonitorsConfig,
  parseReply,
  writeAnnounceCapabilities,
  writeClipboard,
  writeClipboardGrab,
  writeClipboardRequest,
  writeDisplayConfig,
  writeFileXferData,
  writeFileXferStart,
  writeFileXferStatus,
  writeMaxClipboard,
  writeMonitorsConfig,
} from '../../../src/agent/messages.js';
import { AgentReassembler } from '../../../src/agent/stream.js';
import { AgentCap } from '../../../src/protocol/constants.js';
import { capsToWords } from '../../../src/protocol/caps.js';
import type { FuzzTarget } from '../harness.js';
import { selectorTarget } from './protocol.js';

const both = { selection: true, grabSerial: true };
const none = { selection: false, grabSerial: false };
const payload = (msg: Uint8Array) => msg.subarray(AGENT_HEADER_SIZE);
const LINUX_CAPS = capsToWords([
  AgentCap.ClipboardByDemand,
  AgentCap.ClipboardSelection,
  AgentCap.ClipboardGrabSerial,
  AgentCap.DisplayConfig,
  AgentCap.MonitorsConfig,
  AgentCap.SparseMonitorsConfig,
  AgentCap.MaxClipboard,
  AgentCap.FileXferDetailedErrors,
]);

const parsers: ((body: Uint8Array) => unknown)[] = [
  parseAnnounceCapabilities,
  parseMonitorsConfig,
  parseDisplayConfig,
  parseReply,
  (b) => parseClipboardGrab(both, b),
  (b) => parseClipboardGrab(none, b),
  (b) => parseClipboardRequest(both, b),
  (b) => parseClipboard(both, b),
  (b) => parseClipboardRelease(both, b),
  parseMaxClipboard,
  parseFileXferStart,
  parseFileXferData,
  parseFileXferStatus,
  parseAudioVolumeSync,
  parseGraphicsDeviceInfo,
];

const seeds: [number, Uint8Array][] = [
  [0, payload(writeAnnounceCapabilities(true, LINUX_CAPS))],
  [1, payload(writeMonitorsConfig({ flags: 3, monitors: [{ width: 800, height: 600, depth: 32, x: 0, y: 0, widthMm: 200, heightMm: 150 }] }))],
  [2, payload(writeDisplayConfig(15, 16))],
  [3, Uint8Array.from([5, 0, 0, 0, 1, 0, 0, 0])],
  [4, payload(writeClipboardGrab(both, { selection: 0, serial: 3, types: [1, 2] }))],
  [5, payload(writeClipboardGrab(none, { selection: 0, types: [1] }))],
  [6, payload(writeClipboardRequest(both, { selection: 0, type: 1 }))],
  [7, payload(writeClipboard(both, { selection: 0, type: 1, data: Uint8Array.from([104, 105]) }))],
  [8, Uint8Array.from([0, 0, 0, 0])],
  [9, payload(writeMaxClipboard(1024))],
  [10, payload(writeFileXferStart(1, 'a.txt', 5))],
  [11, payload(writeFileXferData(1, Uint8Array.from([1, 2, 3])))],
  [12, payload(writeFileXferStatus({ id: 1, result: 4, diskFreeSpace: 4096 }))],
  [13, Uint8Array.from([1, 0, 2, 1, 0, 2, 0])],
  [14, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 97, 0])],
];

/** A stream of whole agent messages as an agent sends them. */
const streamSeeds = (): Uint8Array[] => [
  writeAnnounceCapabilities(false, LINUX_CAPS),
  Uint8Array.from([...writeAnnounceCapabilities(true, LINUX_CAPS), ...writeClipboardGrab(both, { selection: 0, serial: 0, types: [1] })]),
  Uint8Array.from([
    ...writeAnnounceCapabilities(false, LINUX_CAPS),
    ...writeClipboardRequest(both, { selection: 0, type: 1 }),
    ...writeFileXferStatus({ id: 1, result: 0 }),
  ]),
];

export const agentTargets: FuzzTarget[] = [
  selectorTarget('agent/messages', parsers, seeds),
  {
    name: 'agent/reassembler',
    seeds: streamSeeds,
    run: (input) => {
      const r = new AgentReassembler();
      const cut = input.length ? input[0]! % (input.length + 1) : 0;
      r.push(input.subarray(0, cut));
      r.push(input.subarray(cut));
    },
  },
  {
    name: 'agent/session',
    seeds: streamSeeds,
    run: (input) => {
      const s = new AgentSession({
        sendData: (body) => {
          if (body.byteLength > 2048) throw new Error(`AGENT_DATA body of ${body.byteLength} bytes`);
        },
        emit: () => {},
        log: () => {},
      });
      s.setWanOptions({ wanOptions: true, colorDepth: 16, disableEffects: ['all'], osType: 'windows' });
      s.agentConnected(1000);
      s.data(input);
    },
  },
];
