/**
 * A stand-in engine worker for the agent browser tests: it speaks the EngineApi contract over comlink but has
 * no SPICE session. On connect it reports an agent with by-demand clipboard and DISPLAY_CONFIG, answers the
 * agent calls as the real engine would, emits the matching events, and records every call (`calls()`), so
 * the page side (attributes, controllers, events) runs against a real worker boundary.
 */
import { expose } from 'comlink';
import type { EngineEventSink } from '../../src/api/engine-api.js';
import type { ConnectOptions } from '../../src/api/types.js';
import type { InputPortMessage } from '../../src/api/input.js';
import type { AgentResult, ClipboardPolicy, WanOptions } from '../../src/api/agent.js';
import { displayConfigFor } from '../../src/agent/display-config.js';
import { idleEngineCalls } from './fake-engine-base.js';

let sink: EngineEventSink = () => {};
const calls: { name: string; args: unknown }[] = [];
let nextId = 1;

function displayConfig(wan: WanOptions): void {
  const c = displayConfigFor(wan);
  sink({ type: 'display-config', flags: c.flags, depth: c.depth, effects: c.effects, sent: true });
}

const engine = {
  ...idleEngineCalls(() => sink),
  async connect(options: ConnectOptions, s: EngineEventSink, inputPort?: MessagePort): Promise<void> {
    sink = s;
    calls.push({ name: 'connect', args: options.agent });
    // Keys in the order they reach the engine, among the other calls (a paste shortcut's keys follow the offer).
    if (inputPort) {
      inputPort.onmessage = (e: MessageEvent<InputPortMessage>) => {
        if (e.data.type !== 'input') return;
        for (const ev of e.data.batch) if (ev.type === 'key') calls.push({ name: 'key', args: `${ev.down ? 'down' : 'up'} ${ev.scancode.toString(16)}` });
      };
    }
    sink({ type: 'state', state: 'connected' });
    sink({ type: 'connected', session: { sessionId: 1, channels: [], displayChannelsHint: 1, mouseModes: ['client'], mouseMode: 'client', agentConnected: true } });
    sink({ type: 'agent', connected: true, caps: ['clipboard-by-demand', 'display-config'], fileTransferAvailable: true });
    if (options.agent?.wan) displayConfig(options.agent.wan);
  },
  async setWanOptions(wan: WanOptions): Promise<void> {
    calls.push({ name: 'setWanOptions', args: wan });
    displayConfig(wan);
  },
  async setClipboardPolicy(policy: ClipboardPolicy): Promise<void> {
    calls.push({ name: 'setClipboardPolicy', args: policy });
  },
  async offerClipboard(items: { mime: string; data: Uint8Array }[]): Promise<AgentResult<string[]>> {
    calls.push({ name: 'offerClipboard', args: items.map((i) => ({ mime: i.mime, text: new TextDecoder().decode(i.data) })) });
    sink({ type: 'clipboard', kind: 'grab', direction: 'to-guest', types: ['text/plain'], size: items[0]!.data.byteLength });
    return { ok: true, value: ['text/plain'] };
  },
  async readGuestClipboard(mime: string): Promise<AgentResult<Uint8Array>> {
    calls.push({ name: 'readGuestClipboard', args: mime });
    return { ok: true, value: new TextEncoder().encode('guest text') };
  },
  async sendFile(file: File): Promise<AgentResult<number>> {
    calls.push({ name: 'sendFile', args: { name: file.name, size: file.size, text: await file.text() } });
    if (file.name.startsWith('refuse')) return { ok: false, code: 'file-transfer-disabled', message: 'the guest agent has file transfer disabled' };
    const id = nextId++;
    sink({ type: 'file-transfer', id, name: file.name, size: file.size, sent: file.size, state: 'success', status: 'success' });
    return { ok: true, value: id };
  },
  async cancelFileTransfer(): Promise<boolean> {
    return false;
  },
  calls() {
    return calls;
  },
  /** Test hook: the guest copied text (a GRAB of text/plain). */
  guestGrab() {
    sink({ type: 'clipboard', kind: 'grab', direction: 'from-guest', types: ['text/plain'], size: 0 });
  },
};

expose(engine);
