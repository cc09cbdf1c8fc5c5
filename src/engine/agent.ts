/**
 * EngineAgent: the worker's side of the guest agent. It wraps the pure AgentSession (src/agent) for one
 * SPICE session: the main channel feeds it agent connects, tokens and AGENT_DATA and it sends AGENT_DATA
 * through the main channel; it turns the session's events into EngineEvents, reads dropped files piece by
 * piece (Blob.slice, never the whole file), bounds every wait for the agent with a timeout, and answers the
 * page's calls with AgentResult objects.
 */
import type { AgentApi, AgentEngineEvent, AgentErrorCode, AgentOptions, AgentResult, AgentStatus, FileLike } from '../api/agent.js';
import { AgentError, AgentSession, type AgentSessionEvent, type MonitorRequest } from '../agent/agent-session.js';
import type { ClipboardPolicy } from '../agent/clipboard.js';
import type { WanOptions } from '../agent/display-config.js';

export interface EngineAgentHost {
  /** One AGENT_DATA body to the server (main channel). */
  sendData(body: Uint8Array): void;
  emit(event: AgentEngineEvent): void;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

/** How long a clipboard read waits for the guest's answer. */
export const CLIPBOARD_READ_TIMEOUT_MS = 10_000;

function failure(e: unknown): { ok: false; code: AgentErrorCode; message: string } {
  if (e instanceof AgentError) return { ok: false, code: e.code, message: e.message };
  if (e instanceof RangeError) return { ok: false, code: 'agent-invalid', message: e.message };
  throw e;
}

export class EngineAgent implements AgentApi {
  readonly session: AgentSession;

  constructor(
    private readonly host: EngineAgentHost,
    options?: Partial<AgentOptions>,
  ) {
    this.session = new AgentSession({
      sendData: (body) => this.host.sendData(body),
      emit: (event) => this.onEvent(event),
      log: (level, message) => this.host.log(level, message),
    });
    if (options?.clipboard) this.session.setClipboardPolicy(options.clipboard);
    if (options?.wan) this.session.setWanOptions(options.wan);
  }

  private onEvent(e: AgentSessionEvent): void {
    switch (e.type) {
      case 'agent':
      case 'display-config':
      case 'clipboard':
      case 'file-transfer':
        return this.host.emit(e);
      case 'agent-reply':
        return this.host.log(e.ok ? 'debug' : 'warn', `the agent answered message ${e.message} with ${e.ok ? 'success' : 'an error'}`);
      case 'volume-sync':
        return this.host.log('debug', `agent volume sync: playback ${e.playback}, mute ${e.mute}, volume ${e.volume.join('/')}`);
      case 'graphics-device-info':
        return this.host.log('debug', `agent graphics devices: ${e.displays.map((d) => `${d.channelId}/${d.monitorId}=${d.deviceAddress}`).join(', ')}`);
    }
  }

  // API (see AgentApi).

  async setWanOptions(options: WanOptions): Promise<void> {
    this.session.setWanOptions(options);
  }

  async setClipboardPolicy(policy: ClipboardPolicy): Promise<void> {
    this.session.setClipboardPolicy(policy);
  }

  async offerClipboard(items: { mime: string; data: Uint8Array }[]): Promise<AgentResult<string[]>> {
    try {
      return { ok: true, value: this.session.offerClipboard(items) };
    } catch (e) {
      return failure(e);
    }
  }

  async releaseClipboard(): Promise<void> {
    this.session.releaseClipboard();
  }

  async readGuestClipboard(mime: string): Promise<AgentResult<Uint8Array>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new AgentError('agent-timeout', `the guest did not answer the clipboard request within ${CLIPBOARD_READ_TIMEOUT_MS} ms`)),
          CLIPBOARD_READ_TIMEOUT_MS,
        );
      });
      const data = await Promise.race([this.session.readGuestClipboard(mime), timeout]);
      return { ok: true, value: data };
    } catch (e) {
      return failure(e);
    } finally {
      clearTimeout(timer);
    }
  }

  async sendFile(file: FileLike): Promise<AgentResult<number>> {
    try {
      const id = this.session.sendFile({
        name: file.name,
        size: file.size,
        read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
      });
      return { ok: true, value: id };
    } catch (e) {
      return failure(e);
    }
  }

  async cancelFileTransfer(id: number): Promise<boolean> {
    return this.session.cancelFileTransfer(id);
  }

  async setMonitorsConfig(monitors: (MonitorRequest | null)[]): Promise<AgentResult<{ sent: boolean; reason?: string }>> {
    try {
      return { ok: true, value: this.session.setMonitorsConfig(monitors) };
    } catch (e) {
      return failure(e);
    }
  }

  async agentStatus(): Promise<AgentStatus> {
    return { connected: this.session.connected, caps: this.session.capNames, fileTransferAvailable: this.session.fileTransferAvailable };
  }
}
