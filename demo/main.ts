/**
 * The demo page: a form for the server URL and password, the console, and a live view of the session's
 * facts, channels and events. `?url=ws://host:port` pre-fills the form; `&autoconnect=1` connects at once.
 */
import '../src/define.js';
import type { ChannelInfo, DisconnectDetail, SessionInfo, UsbStatus } from '../src/index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const consoleEl = $<HTMLElementTagNameMap['spice-console']>('console');
const form = $<HTMLFormElement>('connect-form');
const urlInput = $<HTMLInputElement>('url');
const passwordInput = $<HTMLInputElement>('password');
const connectButton = $<HTMLButtonElement>('connect');
const disconnectButton = $<HTMLButtonElement>('disconnect');

const params = new URLSearchParams(location.search);
urlInput.value = params.get('url') ?? `ws://${location.hostname || '127.0.0.1'}:5912`;

function log(text: string, error = false): void {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  if (error) li.className = 'error';
  $('log').prepend(li);
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

function showFacts(s: SessionInfo | null): void {
  const rows: [string, string][] = s
    ? [
        ['session', String(s.sessionId)],
        ['name', s.name ?? '—'],
        ['uuid', s.uuid ?? '—'],
        ['mouse', `${s.mouseMode} (of ${s.mouseModes.join(', ')})`],
        ['agent', s.agentConnected ? 'connected' : 'not connected'],
        ['displays', String(s.displayChannelsHint)],
      ]
    : [];
  $('facts').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

consoleEl.addEventListener('spice-connected', (e) => {
  const s = (e as CustomEvent<SessionInfo>).detail;
  log(`connected: session ${s.sessionId}, ${s.channels.length} channels`);
  showFacts(s);
  showChannels(s.channels);
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
  connectButton.disabled = false;
  disconnectButton.disabled = true;
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  consoleEl.url = urlInput.value.trim();
  consoleEl.password = passwordInput.value;
  connectButton.disabled = true;
  disconnectButton.disabled = false;
  log(`connecting to ${consoleEl.url}`);
  void consoleEl.connect();
});
disconnectButton.addEventListener('click', () => void consoleEl.disconnect());

const combo = $<HTMLSelectElement>('combo');
$<HTMLButtonElement>('send-combo').addEventListener('click', () => {
  void consoleEl.sendCombo(combo.value as Parameters<typeof consoleEl.sendCombo>[0]);
  consoleEl.focus();
});
const scale = $<HTMLSelectElement>('scale');
scale.addEventListener('change', () => consoleEl.setAttribute('scale', scale.value));
const viewOnly = $<HTMLInputElement>('view-only');
viewOnly.addEventListener('change', () => consoleEl.toggleAttribute('view-only', viewOnly.checked));

if (params.get('autoconnect') === '1') form.requestSubmit();
