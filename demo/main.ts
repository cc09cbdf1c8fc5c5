/**
 * The demo page: a connect form (server URL and password, or a `.vv` connection file opened or dropped on
 * the page), a toolbar (send keys, full screen, console options, USB, statistics, language), a status
 * line, clear errors with a Retry button, a statistics overlay, and a live view of the session's facts,
 * channels and events.
 *
 * URL parameters for one-click links (never the password: a `password` parameter is ignored):
 * `url=ws://host:port`, `autoconnect=1`, `reconnect=0|1`, `kiosk=1` (console only, full screen, Keyboard
 * Lock, reconnecting; `kiosk-disconnected=overlay|blank|reload`), `scale=fit|fill|none`, `view-only=1`,
 * `stats=1`, `lang=en|de|fr`, `vv-template=ws://{host}:{port}` (WebSocket URL for .vv files without one).
 */
import '../src/define.js';
import {
  imageCompressionName,
  parseVvFile,
  setConsoleLocale,
  type ChannelInfo,
  type DisconnectDetail,
  type DisplayStats,
  type EngineStats,
  type SessionInfo,
  type UsbStatus,
} from '../src/index.js';
import { VvSession } from './vv-session.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const consoleEl = $<HTMLElementTagNameMap['spice-console']>('console');
const form = $<HTMLFormElement>('connect-form');
const urlInput = $<HTMLInputElement>('url');
const passwordInput = $<HTMLInputElement>('password');
const connectButton = $<HTMLButtonElement>('connect');
const disconnectButton = $<HTMLButtonElement>('disconnect');
const reconnectBox = $<HTMLInputElement>('reconnect');
const statusLine = $('status');
const errorBox = $('error');
const statsBox = $('stats');
const statsToggle = $<HTMLButtonElement>('stats-toggle');
const vvSession = new VvSession(consoleEl, $('vv-offer'), log);

const params = new URLSearchParams(location.search);
urlInput.value = params.get('url') ?? `ws://${location.hostname || '127.0.0.1'}:5912`;

/** What each disconnect code means for the person in front of the page. */
const CODE_HELP: Record<string, string> = {
  'auth-failed': 'The password was refused. Check it and try again.',
  'link-refused': 'The server refused the connection.',
  'transport-closed': 'The connection was closed.',
  protocol: 'The server sent something this console does not understand.',
  unreachable: 'The server could not be reached. Check the address, and that the server is running.',
  timeout: 'The server did not answer in time.',
  unsupported: 'The server needs something this console does not support.',
};

function log(text: string, error = false): void {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  if (error) li.className = 'error';
  $('log').prepend(li);
}

function setStatus(text: string): void {
  statusLine.textContent = text;
}

function showError(text: string | null): void {
  errorBox.hidden = text === null;
  $('error-text').textContent = text ?? '';
  if (text !== null) $<HTMLButtonElement>('retry').focus();
}

function showChannels(channels: ChannelInfo[]): void {
  $('channels').replaceChildren(
    ...channels.map((c) => {
      const li = document.createElement('li');
      li.className = `state-${c.state}`;
      li.textContent = `${c.type} ${c.id}: ${c.state}${c.error ? ` (${c.error})` : ''}`;
      return li;
    }),
  );
}

function definitionList(target: HTMLElement, rows: [string, string][]): void {
  target.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

function showFacts(s: SessionInfo | null): void {
  definitionList(
    $('facts'),
    s
      ? [
          ['session', String(s.sessionId)],
          ['name', s.name ?? '—'],
          ['uuid', s.uuid ?? '—'],
          ['mouse', `${s.mouseMode} (of ${s.mouseModes.join(', ')})`],
          ['agent', s.agentConnected ? 'connected' : 'not connected'],
          ['displays', String(s.displayChannelsHint)],
        ]
      : [],
  );
}

function setConnected(busy: boolean): void {
  connectButton.disabled = busy;
  disconnectButton.disabled = !busy;
}

async function connect(): Promise<void> {
  const url = urlInput.value.trim();
  if (!/^wss?:\/\//i.test(url)) {
    showError(`"${url}" is not a WebSocket URL: it must start with ws:// or wss://.`);
    return;
  }
  showError(null);
  consoleEl.url = url;
  consoleEl.password = passwordInput.value;
  consoleEl.reconnect = reconnectBox.checked;
  setConnected(true);
  log(`connecting to ${url}`);
  await consoleEl.connect();
}

// --- console events ---------------------------------------------------------------------------------

consoleEl.addEventListener('spice-connected', (e) => {
  const s = (e as CustomEvent<SessionInfo>).detail;
  log(`connected: session ${s.sessionId}, ${s.channels.length} channels`);
  setStatus(`Connected to ${s.name ?? consoleEl.url}`);
  document.title = vvSession.title ?? `${s.name ?? 'spice-console'} — spice-console`;
  showError(null);
  showFacts(s);
  showChannels(s.channels);
});
consoleEl.addEventListener('spice-state', (e) => {
  const { state } = (e as CustomEvent<{ state: string }>).detail;
  if (state === 'connecting') setStatus(`Connecting to ${consoleEl.url}…`);
});
consoleEl.addEventListener('spice-channels', (e) => showChannels((e as CustomEvent<{ channels: ChannelInfo[] }>).detail.channels));
let usbSummary = '';
consoleEl.addEventListener('spice-usb', (e) => {
  const s = (e as CustomEvent<UsbStatus>).detail;
  const summary = s.available ? `USB: ${s.channels.free} of ${s.channels.total} channels free` : `USB unavailable: ${s.reason}`;
  if (summary !== usbSummary) log((usbSummary = summary));
});
consoleEl.addEventListener('spice-disconnected', (e) => {
  const d = (e as CustomEvent<DisconnectDetail>).detail;
  log(`disconnected: ${d.code}: ${d.reason}`, !d.clean);
  showFacts(null);
  showChannels([]);
  // A reconnect decision follows synchronously (spice-reconnecting); look at the state after it.
  queueMicrotask(() => {
    if (consoleEl.state === 'reconnecting') return;
    setConnected(false);
    setStatus(d.clean ? 'Disconnected' : `Disconnected: ${d.reason}`);
    showError(d.clean ? null : `${CODE_HELP[d.code] ?? 'The session ended.'} (${d.code}: ${d.reason})`);
  });
});
consoleEl.addEventListener('spice-reconnecting', (e) => {
  const r = (e as CustomEvent<{ attempt: number; delay: number; maxAttempts: number }>).detail;
  log(`reconnecting: attempt ${r.attempt}${r.maxAttempts ? ` of ${r.maxAttempts}` : ''} in ${(r.delay / 1000).toFixed(1)} s`);
  setStatus(`Connection lost — reconnecting (attempt ${r.attempt}) in ${Math.ceil(r.delay / 1000)} s…`);
});
consoleEl.addEventListener('spice-hotkey', (e) => {
  const { action, hotkey } = (e as CustomEvent<{ action: string; hotkey: string }>).detail;
  log(`hotkey ${hotkey}: ${action}`);
});
consoleEl.addEventListener('spice-reconnect-failed', (e) => {
  const r = (e as CustomEvent<{ attempts: number; reason: string }>).detail;
  log(`gave up reconnecting after ${r.attempts} attempts`, true);
});

// --- form, file, toolbar -----------------------------------------------------------------------------

form.addEventListener('submit', (e) => {
  e.preventDefault();
  vvSession.connecting(urlInput.value.trim());
  void connect();
});
disconnectButton.addEventListener('click', () => void consoleEl.disconnect());
$<HTMLButtonElement>('retry').addEventListener('click', () => void connect());
reconnectBox.addEventListener('change', () => (consoleEl.reconnect = reconnectBox.checked));

/** Reads a .vv connection file and connects with what it says (the password stays in memory only). */
async function openVvFile(file: File): Promise<void> {
  try {
    const vv = parseVvFile(await file.text(), { urlTemplate: params.get('vv-template') ?? 'ws://{host}:{port}' });
    urlInput.value = vv.url;
    passwordInput.value = vv.password ?? '';
    if (vv.usb) consoleEl.usb = vv.usb;
    if (vv.usbFilter !== undefined) consoleEl.usbFilter = vv.usbFilter;
    // The portal's choice, like the WAN options (vv-session.ts): a choice the user stored for the VM wins.
    if (vv.usbAutoRedirectFilter !== undefined) consoleEl.setPortalSettings({ usbAutoRedirectFilter: vv.usbAutoRedirectFilter });
    for (const w of vv.warnings) log(`connection file: ${w}`);
    vvSession.apply(vv, file.name);
    log(`connection file ${file.name}: ${vvSession.title ?? vv.url}`);
    await connect();
  } catch (e) {
    showError(`${file.name}: ${(e as Error).message}`);
  }
}
$<HTMLInputElement>('vv-file').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  if (file) void openVvFile(file);
  input.value = '';
});
const dropHint = $('drop-hint');
document.addEventListener('dragover', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  e.preventDefault();
  dropHint.hidden = false;
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) dropHint.hidden = true;
});
document.addEventListener('drop', (e) => {
  const file = e.dataTransfer?.files[0];
  dropHint.hidden = true;
  if (!file) return;
  e.preventDefault();
  void openVvFile(file);
});

const combo = $<HTMLSelectElement>('combo');
$<HTMLButtonElement>('send-combo').addEventListener('click', () => {
  void consoleEl.sendCombo(combo.value as Parameters<typeof consoleEl.sendCombo>[0]);
  consoleEl.focus();
});
$<HTMLButtonElement>('fullscreen').addEventListener('click', () => {
  void consoleEl.requestFullscreen().then(
    () => consoleEl.grabKeyboard(),
    (e: Error) => log(`full screen refused: ${e.message}`, true),
  );
});
// Monitors: the layout (all, one, a window each), the guest following the console, add/remove up to what the VM allows.
const layout = $<HTMLSelectElement>('layout');
const resizeGuest = $<HTMLInputElement>('resize-guest');
const addMonitor = $<HTMLButtonElement>('add-monitor');
const removeMonitor = $<HTMLButtonElement>('remove-monitor');
const monitorButtons = (): void => {
  const count = consoleEl.monitors.length;
  addMonitor.disabled = !consoleEl.resizeGuest || count >= consoleEl.maxMonitors;
  removeMonitor.disabled = !consoleEl.resizeGuest || count <= 1;
};
layout.addEventListener('change', () => (consoleEl.layout = layout.value as typeof consoleEl.layout));
resizeGuest.addEventListener('change', () => {
  consoleEl.resizeGuest = resizeGuest.checked;
  monitorButtons();
});
addMonitor.addEventListener('click', () => void (consoleEl.addMonitor() || log('no monitor added: the VM allows no more, or the guest has no agent', true)));
removeMonitor.addEventListener('click', () => void (consoleEl.removeMonitor() || log('no monitor removed', true)));
consoleEl.addEventListener('spice-monitors', () => {
  layout.value = consoleEl.layout;
  monitorButtons();
});
const viewOnly = $<HTMLInputElement>('view-only');
viewOnly.addEventListener('change', () => consoleEl.toggleAttribute('view-only', viewOnly.checked));
const lang = $<HTMLSelectElement>('lang');
lang.addEventListener('change', () => {
  document.documentElement.lang = lang.value;
  void setConsoleLocale(lang.value);
});

// --- statistics overlay ------------------------------------------------------------------------------

let last: EngineStats | null = null;
let statsTimer: ReturnType<typeof setInterval> | null = null;

function rate(bytes: number, seconds: number): string {
  const perSecond = bytes / seconds;
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} MB/s` : `${(perSecond / 1e3).toFixed(1)} kB/s`;
}

/** What the displays asked the server for on their own (adaptive image compression), or the server's choice. */
function compressionText(displays: DisplayStats[]): string {
  const asked = displays.map((d) => d.adaptedCompression).filter((c): c is number => typeof c === 'number');
  if (!asked.length) return consoleEl.imageCompression || "server's choice";
  return asked.map((c) => `${imageCompressionName(c) ?? c} (adapted)`).join(', ');
}

async function sampleStats(): Promise<void> {
  const [now, displays] = await Promise.all([consoleEl.stats(), consoleEl.displayStats()]);
  if (!now) {
    last = null;
    definitionList(statsBox, [['state', consoleEl.state]]);
    return;
  }
  const prev = last && last.at < now.at && last.bytesIn <= now.bytesIn ? last : null;
  last = now;
  if (!prev) return;
  const s = (now.at - prev.at) / 1000;
  const frames = now.frames - prev.frames;
  const work = now.displayBusyMs - prev.displayBusyMs;
  definitionList(statsBox, [
    ['frames', `${(frames / s).toFixed(1)} /s`],
    ['in', rate(now.bytesIn - prev.bytesIn, s)],
    ['out', rate(now.bytesOut - prev.bytesOut, s)],
    ['round trip', now.roundTripMs === null ? 'move the pointer' : `${now.roundTripMs.toFixed(1)} ms`],
    ['decode', frames > 0 ? `${(work / frames).toFixed(2)} ms/frame` : '—'],
    ['images', compressionText(displays)],
  ]);
}

function showStats(on: boolean): void {
  statsBox.hidden = !on;
  statsToggle.setAttribute('aria-pressed', String(on));
  if (statsTimer !== null) clearInterval(statsTimer);
  statsTimer = on ? setInterval(() => void sampleStats(), 1000) : null;
  if (on) void sampleStats();
}
statsToggle.addEventListener('click', () => showStats(statsBox.hidden));

// --- URL parameters ----------------------------------------------------------------------------------

if (params.has('password')) log('the password parameter is ignored: passwords never go in links', true);
const scale = params.get('scale');
if (scale === 'fit' || scale === 'fill' || scale === 'none') consoleEl.scale = scale;
if (params.get('view-only') === '1') viewOnly.click();
if (params.get('reconnect') === '0') reconnectBox.checked = false;
if (params.get('stats') === '1') showStats(true);
const wantedLang = params.get('lang');
if (wantedLang && [...lang.options].some((o) => o.value === wantedLang)) {
  lang.value = wantedLang;
  lang.dispatchEvent(new Event('change'));
}
if (params.get('kiosk') === '1') {
  document.body.classList.add('kiosk');
  const policy = params.get('kiosk-disconnected');
  if (policy === 'overlay' || policy === 'blank' || policy === 'reload') consoleEl.kioskDisconnected = policy;
  consoleEl.kiosk = true;
}
if (params.get('autoconnect') === '1' || params.get('kiosk') === '1') void connect();
