/**
 * `<spice-console>`: a SPICE session on a page. The element captures nothing and decodes nothing itself:
 * it hands its canvas to the engine worker (EngineController) and turns engine events into DOM events.
 */
import { LitElement, html, type PropertyValues } from 'lit';
import type { EngineEvent } from '../../api/engine-api.js';
import type { ChannelInfo, DisconnectDetail, SessionInfo, SessionState } from '../../api/types.js';
import { EngineController, type WorkerFactory } from '../../controllers/engine-controller.js';
import { styles } from './spice-console.styles.js';

export interface SpiceConsoleEventMap {
  'spice-connected': CustomEvent<SessionInfo>;
  'spice-disconnected': CustomEvent<DisconnectDetail>;
  'spice-channels': CustomEvent<{ channels: ChannelInfo[] }>;
  'spice-state': CustomEvent<{ state: SessionState | 'idle' }>;
}

/**
 * @summary A SPICE remote console: a virtual machine's display, keyboard, mouse and devices.
 *
 * @fires spice-connected - The session is up. `detail` is a SessionInfo: session id, every channel the
 *   server listed with its state, mouse modes, agent state, VM name and UUID when the server sends them.
 * @fires spice-disconnected - The session ended; sent exactly once per connect(). `detail` is
 *   `{ code, reason, clean }`; codes: `client`, `auth-failed`, `link-refused`, `transport-closed`,
 *   `protocol`, `unreachable`, `timeout`, `unsupported`. `clean` is true only for `client`.
 * @fires spice-channels - A channel was added, linked, failed or closed after connect. `detail.channels`.
 * @fires spice-state - `detail.state`: `connecting`, `connected`, `disconnected`.
 *
 * @csspart base - The wrapper around the screen.
 * @csspart screen - The canvas of display channel 0.
 * @csspart status - The status line shown while not connected.
 * @cssproperty --spice-console-background - Colour around the screen.
 */
export class SpiceConsole extends LitElement {
  static override styles = styles;
  static override properties = {
    url: { type: String, reflect: true },
    autoconnect: { type: Boolean, reflect: true },
    state: { type: String, reflect: true },
    statusText: { state: true },
  };

  /** ws:// or wss:// URL of the SPICE server port or of a websockify-style proxy. */
  declare url: string;
  /** Connect as soon as the element is on the page and has a url. */
  declare autoconnect: boolean;
  /** `idle` until the first connect(), then the session state. Read-only for pages. */
  declare state: SessionState | 'idle';
  declare private statusText: string;

  /**
   * The SPICE password. A property only: never an attribute, never stored, never logged; handed to the
   * worker at connect() for the session's channel links and dropped there when the session ends.
   */
  password = '';

  /** Facts about the current session once connected, else null. */
  session: SessionInfo | null = null;

  private readonly engine: EngineController;
  private canvas: HTMLCanvasElement | null = null;
  private ended = true;

  constructor(workerFactory?: WorkerFactory) {
    super();
    this.url = '';
    this.autoconnect = false;
    this.state = 'idle';
    this.statusText = 'Not connected';
    this.engine = new EngineController(this, (e) => this.onEngineEvent(e), workerFactory);
  }

  /** Opens the session to `url`. Resolves when connected or ended; the events tell which. */
  async connect(): Promise<void> {
    if (!this.url) throw new Error('spice-console: set url before connect()');
    if (!this.ended) await this.disconnect();
    this.ended = false;
    this.session = null;
    this.setState('connecting', `Connecting to ${this.url}…`);
    await this.updateComplete;
    const canvas = this.freshCanvas();
    const offscreen = canvas?.transferControlToOffscreen();
    await this.engine.connect({ url: this.url, password: this.password }, offscreen);
  }

  /** Closes the session; `spice-disconnected` follows with code `client` (unless it had ended already). */
  async disconnect(): Promise<void> {
    if (this.ended) return;
    await this.engine.disconnect();
    if (!this.ended) this.end({ code: 'client', reason: 'disconnected by the client', clean: true });
  }

  /** Number of sockets the engine holds open (0 once disconnected). For diagnostics and tests. */
  openSockets(): Promise<number> {
    return this.engine.openSockets();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.autoconnect && this.url && this.ended) void this.connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (!this.ended) this.end({ code: 'client', reason: 'the element was removed from the page', clean: true });
  }

  protected override updated(changed: PropertyValues<this>): void {
    if ((changed.has('url') || changed.has('autoconnect')) && this.autoconnect && this.url && this.ended && this.isConnected) {
      void this.connect();
    }
  }

  protected override render() {
    return html`<div part="base">
      <div id="screen"></div>
      <div part="status" role="status" ?hidden=${this.state === 'connected'}>${this.statusText}</div>
    </div>`;
  }

  /** A canvas can be transferred to a worker once, so every session gets a new one. */
  private freshCanvas(): HTMLCanvasElement | null {
    const holder = this.renderRoot.querySelector('#screen');
    if (!holder) return null;
    this.canvas?.remove();
    const canvas = document.createElement('canvas');
    canvas.setAttribute('part', 'screen');
    canvas.width = 0;
    canvas.height = 0;
    holder.append(canvas);
    this.canvas = canvas;
    return canvas;
  }

  private onEngineEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'connected':
        this.session = e.session;
        this.setState('connected', '');
        this.emit('spice-connected', e.session);
        return;
      case 'channels':
        if (this.session) this.session = { ...this.session, channels: e.channels };
        this.emit('spice-channels', { channels: e.channels });
        return;
      case 'agent':
        if (this.session) this.session = { ...this.session, agentConnected: e.connected };
        return;
      case 'mouse-mode':
        if (this.session) this.session = { ...this.session, mouseMode: e.mode, mouseModes: e.supported };
        return;
      case 'disconnected':
        if (!this.ended) this.end({ code: e.code, reason: e.reason, clean: e.clean });
        return;
      default:
        return;
    }
  }

  private end(detail: DisconnectDetail): void {
    this.ended = true;
    this.session = null;
    this.setState('disconnected', detail.clean ? 'Disconnected' : `Disconnected: ${detail.reason}`);
    this.emit('spice-disconnected', detail);
    void this.engine.disconnect();
  }

  private setState(state: SessionState, text: string): void {
    this.state = state;
    this.statusText = text;
    this.emit('spice-state', { state });
  }

  private emit<T>(name: string, detail: T): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}
