/**
 * Fuzz targets for connection files and hotkeys (src/vv/): `parseVvFile` on any text (seeds: the shapes oVirt,
 * Proxmox and a minimal libvirt-style file take, escapes, a token template, a BOM and CR line ends), and the
 * `hotkeys` attribute form (`parseHotkeyList` / `readHotkeys`). Every input ends in settings or a VvFileError
 * (reported as a ProtocolError, the harness's expected refusal); what is returned must hold what the API
 * promises: a ws:// or wss:// URL, hotkeys that read back from their own text.
 */
import { formatHotkeyList, parseHotkeyList, readHotkeys } from '../../../src/vv/hotkey.js';
import { parseVvFile, VvFileError, type VvHotkeys } from '../../../src/vv/vv-file.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { OVIRT, PROXMOX } from '../../fakes/vv-files.js';
import type { FuzzTarget } from '../harness.js';

const utf8 = new TextEncoder();
const text = (input: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(input);

const MINIMAL = '[virt-viewer]\ntype=spice\nhost=localhost\nport=5900\n[spice-console]\nurl=ws://127.0.0.1:5959/\n';
const ESCAPED = '\uFEFF# comment\r[virt-viewer]\r  type = SPICE  \rtitle[de]=Konsole\rtitle=A\\sB\\tC\\\\D\r[spice-console]\rurl = wss://h:1/{token}\rtoken=a/b c\r';

const HOTKEYS = [
  'toggle-fullscreen=shift+f11,release-cursor=shift+f12,secure-attention=ctrl+alt+end',
  'release-cursor=ctrl+alt',
  'zoom-in=ctrl+plus,zoom-out=ctrl+minus,usb-device-reset=ctrl+shift+r',
];

export const vvFileTarget: FuzzTarget = {
  name: 'vv/file',
  seeds: () => [OVIRT, PROXMOX, MINIMAL, ESCAPED].map((s) => utf8.encode(s)),
  maxRandomLength: 1024,
  run: (input) => {
    let settings;
    try {
      settings = parseVvFile(text(input), { urlTemplate: 'wss://proxy.example/spice/{host}' });
    } catch (e) {
      if (e instanceof VvFileError) throw new ProtocolError(`${e.code}: ${e.message}`);
      throw e;
    }
    if (!/^wss?:\/\//.test(settings.url)) throw new Error(`parseVvFile gave the URL ${JSON.stringify(settings.url)}`);
    checkHotkeys(settings.hotkeys);
  },
};

export const hotkeyListTarget: FuzzTarget = {
  name: 'vv/hotkey-list',
  seeds: () => HOTKEYS.map((s) => utf8.encode(s)),
  maxRandomLength: 256,
  run: (input) => {
    const list = parseHotkeyList(text(input));
    if (!list.errors.every((e) => typeof e === 'string')) throw new Error('an error that is not a sentence');
    checkHotkeys(list.hotkeys);
  },
};

/** Hotkeys as the API promises them: each read back the same from the list form the console formats. */
function checkHotkeys(hotkeys: VvHotkeys): void {
  const again = readHotkeys(formatHotkeyList(hotkeys));
  if (again.errors.length) throw new Error(`formatted hotkeys do not read back: ${again.errors.join('; ')}`);
  for (const [field, hotkey] of Object.entries(hotkeys)) {
    const back = again.hotkeys[field as keyof VvHotkeys];
    const { spec: _a, ...mine } = hotkey!;
    const { spec: _b, ...theirs } = back ?? { spec: '' };
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) throw new Error(`hotkey ${field} reads back as ${JSON.stringify(back)}, not ${JSON.stringify(hotkey)}`);
  }
}

export const vvTargets: FuzzTarget[] = [vvFileTarget, hotkeyListTarget];
