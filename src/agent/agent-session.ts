/**
 * AgentSession: the client's side of one conversation with the guest agent, independent of sockets and
 * browsers. The main channel feeds it AGENT_CONNECTED / AGENT_DISCONNECTED / AGENT_TOKEN / AGENT_DATA; it
 * answers through `sendData` (one AGENT_DATA body per call, paced by tokens). It announces capabilities when
 * the agent connects (and again on every reconnect, and back when the agent asks), sends DISPLAY_CONFIG (the
 * WAN options) once the agent announced DISPLAY_CONFIG and whenever they change, MONITORS_CONFIG as the
 * agent's caps allow, runs the by-demand clipboard both ways under the clipboard policy, and file transfers
 * into the guest. Everything is reset when the agent goes away.
 */
import { AgentCap, AgentClipboardSelection, AgentClipboardType, AgentFileXferStatus, AgentMsg } from '../protocol/constants.js';
import { utf8Decode, utf8Encode } from '../protocol/utf8.js';
import { AgentCaps, clientAgentCapWords } from './caps.js';
import {
  allowsFromGuest,
  allowsToGuest,
  clipboardTypeForMime,
  clipboardTypeName,
  CLIPBOARD_MIME,
  GrabSerials,
  textFromGuest,
  textToGuest,
  type ClipboardPolicy,
  type GuestLineEnd,
} from './clipboard.js';
import { displayConfigFor, wanOptionsOffer, type WanOptions } from './display-config.js';
import { describeFileXferStatus, FileTransfer, fileXferStatusName, type FileSource, type FileTransferInfo } from './file-xfer.js';
import {
  MONITORS_FLAG_PHYSICAL_SIZE,
  MONITORS_FLAG_USE_POS,
  parseAnnounceCapabilities,
  parseAudioVolumeSync,
  parseClipboard,
  parseClipboardGrab,
  parseClipboardRelease,
  parseClipboardRequest,
  parseFileXferStatus,
  parseGraphicsDeviceInfo,
  parseMaxClipboard,
  parseReply,
  writeAnnounceCapabilities,
  writeClipboard,
  writeClipboardGrab,
  writeClipboardRelease,
  writeClipboardRequest,
  writeDisplayConfig,
  writeFileXferData,
  writeFileXferStart,
  writeFileXferStatus,
  writeMaxClipboard,
  writeMonitorsConfig,
  type AgentMonConfig,
  type ClipboardLayout,
} from './messages.js';
import { AgentSendQueue } from './send-queue.js';
import { AgentReassembler } from './stream.js';
import { MAX_AGENT_MESSAGE_SIZE, MAX_CLIPBOARD_SIZE } from '../protocol/limits.js';

/** One monitor the client wants; null (or 0×0) = disabled. Positions and sizes in guest pixels. */
export interface MonitorRequest {
  width: number;
  height: number;
  x: number;
  y: number;
  widthMm?: number;
  heightMm?: number;
}

/** spice-gtk and the agents keep at most 16 monitors. */
export const MAX_MONITORS = 16;

export type AgentSessionEvent =
  | { type: 'agent'; connected: boolean; caps: string[]; fileTransferAvailable: boolean }
  | { type: 'display-config'; flags: number; depth: number; effects: string[]; sent: boolean; reason?: string }
  | { type: 'clipboard'; kind: 'grab' | 'data' | 'release'; direction: 'to-guest' | 'from-guest'; types: string[]; size: number }
  | ({ type: 'file-transfer' } & FileTransferInfo)
  | { type: 'agent-reply'; message: number; ok: boolean }
  | { type: 'volume-sync'; playback: boolean; mute: boolean; volume: number[] }
  | { type: 'graphics-device-info'; displays: { channelId: number; monitorId: number; deviceDisplayId: number; deviceAddress: string }[] };

export interface AgentSessionHost {
  /** One AGENT_DATA body (≤ 2048 bytes) to the server. */
  sendData(body: Uint8Array): void;
  emit(event: AgentSessionEvent): void;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

export class AgentError extends Error {
  override name = 'AgentError';
  constructor(
    readonly code:
      | 'agent-not-connected'
      | 'agent-timeout'
      | 'clipboard-unavailable'
      | 'clipboard-policy'
      | 'clipboard-empty'
      | 'clipboard-too-large'
      | 'file-transfer-disabled'
      | 'agent-disconnected',
    message: string,
  ) {
    super(message);
  }
}

interface PendingRead {
  type: number;
  resolve(data: Uint8Array): void;
  reject(error: Error): void;
}

export class AgentSession {
  private connectedNow = false;
  private caps: AgentCaps | null = null;
  private readonly queue: AgentSendQueue;
  private readonly reassembler: AgentReassembler;
  private wan: WanOptions = { wanOptions: false, colorDepth: 32, disableEffects: [], osType: '' };
  private monitors: (MonitorRequest | null)[] | null = null;
  private policy: ClipboardPolicy = 'both';
  private readonly serials = new GrabSerials();
  /** What the page offered the guest (we own the guest's clipboard while this is set). */
  private offered: Map<number, Uint8Array> | null = null;
  /** Types the guest's clipboard holds (it grabbed), empty when it holds nothing we know. */
  private guestTypes: number[] = [];
  private readonly reads: PendingRead[] = [];
  private readonly transfers = new Map<number, FileTransfer>();
  private nextTransferId = 1;
  private readingPiece = false;

  constructor(
    private readonly host: AgentSessionHost,
    maxMessageSize = MAX_AGENT_MESSAGE_SIZE,
  ) {
    this.queue = new AgentSendQueue(
      (body) => this.host.sendData(body),
      () => this.pumpFiles(),
    );
    this.reassembler = new AgentReassembler(maxMessageSize);
  }

  get connected(): boolean {
    return this.connectedNow;
  }
  /** The agent's capability names once it announced them. */
  get capNames(): string[] {
    return this.caps?.names ?? [];
  }
  get fileTransferAvailable(): boolean {
    return this.connectedNow && this.caps !== null && !this.caps.has(AgentCap.FileXferDisabled);
  }
  /** AGENT_DATA bodies queued for tokens (diagnostics). */
  get queuedBodies(): number {
    return this.queue.queued;
  }
  get tokens(): number {
    return this.queue.available;
  }

  // From the main channel.

  /**
   * The agent is there (INIT agent_connected, AGENT_CONNECTED[_TOKENS]); AGENT_START was sent. `tokens`: the
   * count the server stated; without one (plain AGENT_CONNECTED) the unspent count carries over.
   */
  agentConnected(tokens?: number | null): void {
    this.resetAgent('agent reconnected');
    this.connectedNow = true;
    if (tokens !== undefined && tokens !== null) this.queue.setTokens(tokens);
    this.emitAgent();
    this.announce(true);
  }

  agentDisconnected(): void {
    if (!this.connectedNow) return;
    this.resetAgent('the agent disconnected');
    this.connectedNow = false;
    this.emitAgent();
  }

  grantTokens(n: number): void {
    this.queue.grant(n);
  }

  /** Sets the token count without a (re)connect (AGENT_CONNECTED_TOKENS for an agent already up). */
  setTokens(n: number): void {
    this.queue.setTokens(n);
  }

  /** One AGENT_DATA body from the server. Throws ProtocolError for a malformed or oversized message. */
  data(body: Uint8Array): void {
    if (!this.connectedNow) {
      this.host.log('debug', `agent data (${body.byteLength} bytes) while no agent is connected: dropped`);
      return;
    }
    for (const { header, payload } of this.reassembler.push(body)) this.handle(header.type, payload);
  }

  // From the page.

  /** New WAN options: DISPLAY_CONFIG goes out now if the agent announced DISPLAY_CONFIG. */
  setWanOptions(options: WanOptions): void {
    this.wan = { ...options, disableEffects: [...options.disableEffects] };
    this.sendDisplayConfig();
  }

  /** MONITORS_CONFIG now (or once the agent announced MONITORS_CONFIG); also re-sent after an agent restart. */
  setMonitorsConfig(monitors: (MonitorRequest | null)[]): { sent: boolean; reason?: string } {
    if (monitors.length === 0 || monitors.length > MAX_MONITORS) throw new RangeError(`between 1 and ${MAX_MONITORS} monitors, not ${monitors.length}`);
    for (const m of monitors) {
      if (!m) continue;
      for (const v of [m.width, m.height]) if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`monitor size ${m.width}×${m.height} is not a size`);
      for (const v of [m.x, m.y]) if (!Number.isInteger(v) || Math.abs(v) > 0x7fffffff) throw new RangeError(`monitor position ${m.x},${m.y} is not a position`);
    }
    this.monitors = monitors.map((m) => (m ? { ...m } : null));
    return this.sendMonitorsConfig();
  }

  setClipboardPolicy(policy: ClipboardPolicy): void {
    this.policy = policy;
    if (!allowsToGuest(policy) && this.offered) this.releaseClipboard();
    if (!allowsFromGuest(policy)) this.failReads(new AgentError('clipboard-policy', `the clipboard policy is ${policy}`));
  }

  /**
   * Offers the page's clipboard to the guest (GRAB); the guest asks for a type when it pastes. Items are
   * MIME type → bytes (text as UTF-8); types this client cannot carry are left out.
   */
  offerClipboard(items: { mime: string; data: Uint8Array }[]): string[] {
    this.requireClipboard(allowsToGuest(this.policy));
    const offered = new Map<number, Uint8Array>();
    for (const { mime, data } of items) {
      const type = clipboardTypeForMime(mime);
      if (type === undefined) continue;
      if (data.byteLength > MAX_CLIPBOARD_SIZE)
        throw new AgentError('clipboard-too-large', `clipboard content of ${data.byteLength} bytes is above the limit of ${MAX_CLIPBOARD_SIZE} bytes`);
      offered.set(type, data);
    }
    if (offered.size === 0) throw new AgentError('clipboard-empty', `nothing to offer the guest among ${items.map((i) => i.mime).join(', ') || 'no types'}`);
    this.offered = offered;
    this.guestTypes = [];
    const layout = this.layout();
    const types = [...offered.keys()];
    this.queue.push(
      writeClipboardGrab(layout, {
        selection: AgentClipboardSelection.Clipboard,
        serial: layout.grabSerial ? this.serials.next(AgentClipboardSelection.Clipboard) : 0,
        types,
      }),
    );
    const names = types.map(clipboardTypeName);
    this.host.emit({ type: 'clipboard', kind: 'grab', direction: 'to-guest', types: names, size: [...offered.values()].reduce((n, d) => n + d.byteLength, 0) });
    return names;
  }

  /** Drops the page's offer (RELEASE). */
  releaseClipboard(): void {
    if (!this.offered) return;
    this.offered = null;
    if (this.connectedNow && this.caps) this.queue.push(writeClipboardRelease(this.layout(), AgentClipboardSelection.Clipboard));
    this.host.emit({ type: 'clipboard', kind: 'release', direction: 'to-guest', types: [], size: 0 });
  }

  /** MIME types the guest's clipboard holds now (after its GRAB). */
  get guestClipboardTypes(): string[] {
    return this.guestTypes.filter((t) => CLIPBOARD_MIME[t]).map(clipboardTypeName);
  }

  /** Asks the guest for its clipboard as `mime` (REQUEST); resolves with the bytes (text: UTF-8, LF line ends). */
  readGuestClipboard(mime = 'text/plain'): Promise<Uint8Array> {
    try {
      this.requireClipboard(allowsFromGuest(this.policy));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const type = clipboardTypeForMime(mime);
    if (type === undefined || !this.guestTypes.includes(type)) {
      return Promise.reject(new AgentError('clipboard-empty', `the guest clipboard holds no ${mime} (it holds ${this.guestClipboardTypes.join(', ') || 'nothing'})`));
    }
    return new Promise((resolve, reject) => {
      const first = !this.reads.some((r) => r.type === type);
      this.reads.push({ type, resolve, reject });
      if (first) this.queue.push(writeClipboardRequest(this.layout(), { selection: AgentClipboardSelection.Clipboard, type }));
    });
  }

  /** Starts sending `source` into the guest; progress arrives as `file-transfer` events. Returns the id. */
  sendFile(source: FileSource): number {
    if (!this.connectedNow || !this.caps) throw new AgentError('agent-not-connected', 'no guest agent is connected');
    if (this.caps.has(AgentCap.FileXferDisabled)) throw new AgentError('file-transfer-disabled', 'the guest agent has file transfer disabled');
    if (!Number.isSafeInteger(source.size) || source.size < 0) throw new RangeError(`file size ${source.size} is not a size`);
    const id = this.nextTransferId++;
    const t = new FileTransfer(id, source);
    this.transfers.set(id, t);
    this.emitTransfer(t);
    this.queue.push(writeFileXferStart(id, source.name, source.size));
    return id;
  }

  /** Cancels transfer `id` (STATUS CANCELLED to the agent); false if there is no such running transfer. */
  cancelFileTransfer(id: number): boolean {
    const t = this.transfers.get(id);
    if (!t || t.done) return false;
    this.queue.push(writeFileXferStatus({ id, result: AgentFileXferStatus.Cancelled }));
    this.endTransfer(t, 'cancelled', 'cancelled', 'cancelled by the client');
    return true;
  }

  fileTransfers(): FileTransferInfo[] {
    return [...this.transfers.values()].map((t) => t.info());
  }

  // Internals.

  private announce(request: boolean): void {
    this.queue.push(writeAnnounceCapabilities(request, clientAgentCapWords()));
  }

  private layout(): ClipboardLayout {
    return { selection: this.caps?.both(AgentCap.ClipboardSelection) ?? false, grabSerial: this.caps?.both(AgentCap.ClipboardGrabSerial) ?? false };
  }

  private lineEnd(): GuestLineEnd {
    return this.caps?.has(AgentCap.GuestLineendCrlf) ? 'crlf' : 'lf';
  }

  private requireClipboard(allowed: boolean): void {
    if (!allowed) throw new AgentError('clipboard-policy', `the clipboard policy is ${this.policy}`);
    if (!this.connectedNow || !this.caps) throw new AgentError('agent-not-connected', 'no guest agent is connected');
    if (!this.caps.has(AgentCap.ClipboardByDemand))
      throw new AgentError('clipboard-unavailable', 'the guest agent does not offer the clipboard (no CLIPBOARD_BY_DEMAND)');
  }

  private emitAgent(): void {
    this.host.emit({ type: 'agent', connected: this.connectedNow, caps: this.capNames, fileTransferAvailable: this.fileTransferAvailable });
  }

  private resetAgent(why: string): void {
    this.caps = null;
    this.reassembler.reset();
    this.queue.reset();
    this.serials.reset();
    this.guestTypes = [];
    this.offered = null;
    this.failReads(new AgentError('agent-disconnected', why));
    for (const t of this.transfers.values()) if (!t.done) this.endTransfer(t, 'error', 'agent-disconnected', why);
  }

  private failReads(error: Error): void {
    for (const r of this.reads.splice(0)) r.reject(error);
  }

  private handle(type: number, payload: Uint8Array): void {
    switch (type) {
      case AgentMsg.AnnounceCapabilities:
        return this.onCaps(payload);
      case AgentMsg.Reply: {
        const reply = parseReply(payload);
        const ok = reply.error === 1;
        this.host.log(ok ? 'debug' : 'warn', `agent reply to message ${reply.type}: ${ok ? 'success' : 'error'}`);
        return this.host.emit({ type: 'agent-reply', message: reply.type, ok });
      }
      case AgentMsg.ClipboardGrab:
        return this.onGuestGrab(payload);
      case AgentMsg.ClipboardRequest:
        return this.onGuestRequest(payload);
      case AgentMsg.Clipboard:
        return this.onGuestClipboard(payload);
      case AgentMsg.ClipboardRelease: {
        if (!this.caps) return;
        const { selection } = parseClipboardRelease(this.layout(), payload);
        if (selection !== AgentClipboardSelection.Clipboard) return;
        this.guestTypes = [];
        this.failReads(new AgentError('clipboard-empty', 'the guest released its clipboard'));
        if (!allowsFromGuest(this.policy)) return;
        return this.host.emit({ type: 'clipboard', kind: 'release', direction: 'from-guest', types: [], size: 0 });
      }
      case AgentMsg.FileXferStatus:
        return this.onFileStatus(payload);
      case AgentMsg.MaxClipboard:
        this.host.log('debug', `the agent limits the clipboard to ${parseMaxClipboard(payload)} bytes`);
        return;
      case AgentMsg.AudioVolumeSync: {
        const v = parseAudioVolumeSync(payload);
        return this.host.emit({ type: 'volume-sync', playback: v.isPlayback, mute: v.mute, volume: v.volume });
      }
      case AgentMsg.GraphicsDeviceInfo:
        return this.host.emit({ type: 'graphics-device-info', displays: parseGraphicsDeviceInfo(payload) });
      default:
        this.host.log('debug', `agent message type ${type} (${payload.byteLength} bytes) ignored`);
    }
  }

  private onCaps(payload: Uint8Array): void {
    const msg = parseAnnounceCapabilities(payload);
    const first = this.caps === null;
    this.caps = new AgentCaps(msg.caps);
    if (first) this.serials.reset();
    if (msg.request) this.announce(false);
    this.emitAgent();
    if (this.caps.has(AgentCap.MaxClipboard)) this.queue.push(writeMaxClipboard(MAX_CLIPBOARD_SIZE));
    if (first) {
      this.sendDisplayConfig();
      if (this.monitors) this.sendMonitorsConfig();
    }
  }

  private sendDisplayConfig(): void {
    const choice = displayConfigFor(this.wan);
    const offer = wanOptionsOffer(this.wan.osType);
    const base = { type: 'display-config' as const, flags: choice.flags, depth: choice.depth, effects: choice.effects };
    if (!this.connectedNow || !this.caps)
      return this.host.emit({ ...base, sent: false, reason: 'no guest agent is connected yet: sent once it announces DISPLAY_CONFIG' });
    if (!this.caps.has(AgentCap.DisplayConfig)) return this.host.emit({ ...base, sent: false, reason: 'the guest agent does not announce DISPLAY_CONFIG' });
    this.queue.push(writeDisplayConfig(choice.flags, choice.depth));
    const reason = this.wan.wanOptions && offer.reason ? offer.reason : undefined;
    this.host.emit(reason ? { ...base, sent: true, reason } : { ...base, sent: true });
  }

  private sendMonitorsConfig(): { sent: boolean; reason?: string } {
    if (!this.monitors) return { sent: false, reason: 'no monitors requested' };
    if (!this.connectedNow || !this.caps) return { sent: false, reason: 'no guest agent is connected yet: sent once it announces MONITORS_CONFIG' };
    if (!this.caps.has(AgentCap.MonitorsConfig)) return { sent: false, reason: 'the guest agent does not announce MONITORS_CONFIG' };
    const sparse = this.caps.has(AgentCap.SparseMonitorsConfig);
    const entries: AgentMonConfig[] = [];
    for (const m of this.monitors) {
      const enabled = m !== null && m.width > 0 && m.height > 0;
      if (!enabled && !sparse) continue;
      entries.push(
        enabled
          ? { width: m.width, height: m.height, depth: 32, x: m.x, y: m.y, widthMm: m.widthMm ?? 0, heightMm: m.heightMm ?? 0 }
          : { width: 0, height: 0, depth: 32, x: 0, y: 0, widthMm: 0, heightMm: 0 },
      );
    }
    if (entries.length === 0) return { sent: false, reason: 'every monitor is disabled and the agent lacks SPARSE_MONITORS_CONFIG' };
    // USE_POS always (the agent's MONITORS_CONFIG_POSITION says it honours the positions).
    // PHYSICAL_SIZE only with sizes to tell: spice-vdagentd (Linux) checks the message is exactly
    // header + monitors and drops it otherwise ("invalid message size for VDAgentMonitorsConfig").
    const physical = entries.some((m) => (m.widthMm ?? 0) > 0 || (m.heightMm ?? 0) > 0) ? MONITORS_FLAG_PHYSICAL_SIZE : 0;
    this.queue.push(writeMonitorsConfig({ flags: MONITORS_FLAG_USE_POS | physical, monitors: entries }));
    return this.caps.has(AgentCap.MonitorsConfigPosition)
      ? { sent: true }
      : { sent: true, reason: 'the agent does not announce MONITORS_CONFIG_POSITION: positions may be ignored' };
  }

  private onGuestGrab(payload: Uint8Array): void {
    if (!this.caps) return this.host.log('warn', 'clipboard grab before the agent announced its capabilities: dropped');
    const layout = this.layout();
    const grab = parseClipboardGrab(layout, payload);
    if (grab.selection !== AgentClipboardSelection.Clipboard) return;
    if (layout.grabSerial && !this.serials.accept(grab.selection, grab.serial ?? 0)) {
      return this.host.log('debug', `guest clipboard grab with serial ${grab.serial} lost a race: dropped`);
    }
    this.offered = null;
    this.guestTypes = grab.types;
    this.failReads(new AgentError('clipboard-empty', 'the guest clipboard changed'));
    if (!allowsFromGuest(this.policy)) return;
    this.host.emit({ type: 'clipboard', kind: 'grab', direction: 'from-guest', types: this.guestClipboardTypes, size: 0 });
  }

  private onGuestRequest(payload: Uint8Array): void {
    if (!this.caps) return;
    const layout = this.layout();
    const req = parseClipboardRequest(layout, payload);
    let data = this.offered?.get(req.type);
    if (!data || !allowsToGuest(this.policy) || req.selection !== AgentClipboardSelection.Clipboard) {
      // Nothing to give: an empty answer, so the guest's paste does not wait.
      this.queue.push(writeClipboard(layout, { selection: req.selection, type: AgentClipboardType.None, data: new Uint8Array(0) }));
      return;
    }
    if (req.type === AgentClipboardType.Utf8Text) data = utf8Encode(textToGuest(utf8Decode(data), this.lineEnd()));
    this.queue.push(writeClipboard(layout, { selection: req.selection, type: req.type, data }));
    this.host.emit({ type: 'clipboard', kind: 'data', direction: 'to-guest', types: [clipboardTypeName(req.type)], size: data.byteLength });
  }

  private onGuestClipboard(payload: Uint8Array): void {
    if (!this.caps) return;
    const clip = parseClipboard(this.layout(), payload);
    if (clip.selection !== AgentClipboardSelection.Clipboard) return;
    let data = clip.data;
    if (clip.type === AgentClipboardType.Utf8Text) data = utf8Encode(textFromGuest(utf8Decode(data), this.lineEnd()));
    const matching = this.reads.filter((r) => r.type === clip.type || clip.type === AgentClipboardType.None);
    if (matching.length === 0) return this.host.log('debug', `guest clipboard data of type ${clip.type} nobody asked for: dropped`);
    for (const r of matching) this.reads.splice(this.reads.indexOf(r), 1);
    if (clip.type === AgentClipboardType.None) {
      for (const r of matching) r.reject(new AgentError('clipboard-empty', 'the guest had nothing to give'));
      return;
    }
    this.host.emit({ type: 'clipboard', kind: 'data', direction: 'from-guest', types: [clipboardTypeName(clip.type)], size: data.byteLength });
    for (const r of matching) r.resolve(data);
  }

  private onFileStatus(payload: Uint8Array): void {
    const status = parseFileXferStatus(payload);
    const t = this.transfers.get(status.id);
    if (!t || t.done) return this.host.log('debug', `file transfer status ${fileXferStatusName(status.result)} for unknown transfer ${status.id}`);
    switch (status.result) {
      case AgentFileXferStatus.CanSendData:
        if (t.state !== 'waiting') return;
        t.state = 'sending';
        this.emitTransfer(t);
        return this.pumpFiles();
      case AgentFileXferStatus.Success:
        return this.endTransfer(t, 'success', 'success');
      case AgentFileXferStatus.Cancelled:
        return this.endTransfer(t, 'cancelled', 'cancelled', describeFileXferStatus(status));
      default:
        return this.endTransfer(t, 'error', fileXferStatusName(status.result), describeFileXferStatus(status));
    }
  }

  private endTransfer(t: FileTransfer, state: 'success' | 'cancelled' | 'error', status: string, error?: string): void {
    t.finish(state, status, error);
    this.emitTransfer(t);
    this.transfers.delete(t.id);
  }

  private emitTransfer(t: FileTransfer): void {
    this.host.emit({ type: 'file-transfer', ...t.info() });
  }

  /** Reads the next piece of the first sending transfer when the queue runs low; one read at a time. */
  private pumpFiles(): void {
    if (this.readingPiece || !this.connectedNow || this.queue.queued > this.queue.lowWater) return;
    for (const t of this.transfers.values()) {
      const piece = t.nextPiece();
      if (!piece) continue;
      this.readingPiece = true;
      t.reading = true;
      t.source.read(piece.offset, piece.length).then(
        (bytes) => {
          this.readingPiece = false;
          t.reading = false;
          if (t.done || !this.connectedNow) return;
          if (bytes.byteLength !== piece.length)
            return this.abortTransfer(t, 'read-failed', `read ${bytes.byteLength} bytes of ${t.source.name} at ${piece.offset}, expected ${piece.length}`);
          // Counted before the push: pushing may ask for the next piece at once.
          t.pieceSent(bytes.byteLength);
          this.queue.push(writeFileXferData(t.id, bytes));
          this.emitTransfer(t);
          this.pumpFiles();
        },
        (error: unknown) => {
          this.readingPiece = false;
          t.reading = false;
          if (!t.done) this.abortTransfer(t, 'read-failed', `could not read ${t.source.name}: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      return;
    }
  }

  private abortTransfer(t: FileTransfer, status: string, error: string): void {
    if (this.connectedNow) this.queue.push(writeFileXferStatus({ id: t.id, result: AgentFileXferStatus.Error }));
    this.endTransfer(t, 'error', status, error);
    this.pumpFiles();
  }
}
