/**
 * Accessibility and translation of <spice-console>: the live region announces state changes, the element
 * names itself, and setConsoleLocale() switches its strings at run time (German and French bundled), in
 * the console, its pointer hint, <spice-console-options> and <spice-usb-menu>. Every msg() id in the
 * strings modules has a translation in each locale, with the same placeholders.
 */
import '../../src/define.js';
import type { LocaleModule } from '@lit/localize';
import { USB_MIGRATION_WARNING, type UsbStatus } from '../../src/api/usb.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import type { SpiceConsoleOptions } from '../../src/elements/spice-console-options/spice-console-options.js';
import type { SpiceMonitor } from '../../src/elements/spice-monitor/spice-monitor.js';
import type { SpiceUsbMenu } from '../../src/elements/spice-usb-menu/spice-usb-menu.js';
import { usbDeviceStateText } from '../../src/elements/spice-usb-menu/spice-usb-menu.js';
import { consoleLocale, setConsoleLocale } from '../../src/l10n/localization.js';
import { strings } from '../../src/l10n/strings.js';
import { templates as de } from '../../src/locales/de.js';
import { templates as fr } from '../../src/locales/fr.js';
import { assert, assertEqual, nextEvent } from './assert.js';
import { fakeEngine as inputFakeEngine, oneMonitor } from './input-fakes.js';

const fakeEngine = () => new Worker(new URL('./reconnect-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'l10n-fake-engine' });
const text = (el: SpiceConsole, part: string) => el.shadowRoot!.querySelector(`[part="${part}"]`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('<spice-console> accessibility and translation', () => {
  afterEach(async () => {
    document.querySelectorAll('spice-console, spice-console-options, spice-usb-menu').forEach((el) => el.remove());
    await setConsoleLocale('en');
  });

  it('should announce connect, drop and reconnect in a polite live region', async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    await el.updateComplete;
    const live = el.shadowRoot!.querySelector('[part="announce"]')!;
    assertEqual([live.getAttribute('role'), live.getAttribute('aria-live')], ['status', 'polite'], 'live region');
    assertEqual([el.getAttribute('role'), el.getAttribute('aria-label')], ['application', 'Remote console'], 'the console names itself');
    el.reconnect = true;
    el.reconnectPolicy = { baseDelayMs: 5000, jitter: 0 };
    el.url = 'ws://fake/?drop=100';
    const reconnecting = nextEvent(el, 'spice-reconnecting');
    const connected = nextEvent(el, 'spice-connected');
    await el.connect();
    await connected;
    await el.updateComplete;
    assertEqual(text(el, 'announce'), 'Connected to fake-vm', 'connected announced');
    await reconnecting;
    await el.updateComplete;
    assert(/^Connection lost\. Reconnecting in 5 s \(attempt 1 of 12\)/.test(text(el, 'announce')), `drop announced: ${text(el, 'announce')}`);
    await el.disconnect();
  });

  it('should switch its strings to German and French at run time, and refuse an unknown locale', async () => {
    const el = document.createElement('spice-console');
    document.body.append(el);
    await el.updateComplete;
    assertEqual(text(el, 'status'), 'Not connected', 'English');
    await setConsoleLocale('de');
    await el.updateComplete;
    assertEqual(consoleLocale(), 'de', 'locale');
    assertEqual(text(el, 'status'), 'Nicht verbunden', 'German');
    assertEqual(el.getAttribute('aria-label'), 'Fernkonsole', 'German label');
    await setConsoleLocale('fr-CA');
    await el.updateComplete;
    assertEqual(text(el, 'status'), 'Non connecté', 'French from a regional tag');
    el.setAttribute('aria-label', 'VM web01');
    await setConsoleLocale('en');
    await el.updateComplete;
    assertEqual(el.getAttribute('aria-label'), 'VM web01', "the page's own label is kept");
    let error: unknown;
    try {
      await setConsoleLocale('xx');
    } catch (e) {
      error = e;
    }
    assert(error instanceof RangeError, 'unknown locale refused');
  });

  it('should put interpolated values into translated strings', async () => {
    await setConsoleLocale('de');
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    el.url = 'ws://fake/?end=auth-failed';
    const ended = nextEvent(el, 'spice-disconnected');
    await el.connect();
    await ended;
    await el.updateComplete;
    assertEqual(text(el, 'status'), 'Getrennt: fake end: auth-failed', 'German with the reason');
  });

  it('should translate the options dialog and bring English back', async () => {
    const el = new SpiceConsole(fakeEngine);
    el.id = 'vm-options';
    el.setAttribute('os-type', 'rhel_9x64');
    document.body.append(el);
    const options = document.createElement('spice-console-options') as SpiceConsoleOptions;
    options.setAttribute('for', 'vm-options');
    document.body.append(options);
    const inline = document.createElement('spice-console-options') as SpiceConsoleOptions;
    inline.setAttribute('for', 'vm-options');
    inline.inline = true;
    document.body.append(inline);
    await Promise.all([el.updateComplete, options.updateComplete, inline.updateComplete]);
    const seen = () => {
      const root = inline.shadowRoot!;
      const label = (id: string) => root.querySelector(`label[for="${id}"]`)?.textContent?.trim();
      return {
        toggle: options.shadowRoot!.querySelector('[part="toggle"]')?.textContent?.trim(),
        close: options.shadowRoot!.querySelector('[part="close"]')?.textContent?.trim(),
        form: root.querySelector('[part="form"]')?.getAttribute('aria-label'),
        legends: Array.from(root.querySelectorAll('legend')).map((l) => l.textContent!.trim()),
        scale: label('scale'),
        scaleFit: root.querySelector('[part="scale"] option[value="fit"]')?.textContent?.trim(),
        compressionServer: root.querySelector('[part="image-compression"] option[value=""]')?.textContent?.trim(),
        clipboardToGuest: root.querySelector('[part="clipboard"] option[value="to-guest"]')?.textContent?.trim(),
        depth: root.querySelector('[part="color-depth"] label')?.textContent?.replace(/\s+/g, ' ').trim(),
        note: root.querySelector('#wan-note')?.textContent?.trim(),
      };
    };
    const english = seen();
    assertEqual(
      english,
      {
        toggle: 'Console options',
        close: 'Close',
        form: 'Console options',
        legends: ['WAN', 'Color depth', 'Disable effects'],
        scale: 'Scale',
        scaleFit: 'Fit (keep aspect)',
        compressionServer: "The server's choice",
        clipboardToGuest: 'To the VM only',
        depth: '16 bits',
        note: 'WAN options take effect on Windows guests only (this VM runs rhel_9x64).',
      },
      'English',
    );
    await setConsoleLocale('de');
    await Promise.all([options.updateComplete, inline.updateComplete]);
    assertEqual(
      seen(),
      {
        toggle: 'Konsolenoptionen',
        close: 'Schließen',
        form: 'Konsolenoptionen',
        legends: ['WAN', 'Farbtiefe', 'Effekte abschalten'],
        scale: 'Skalierung',
        scaleFit: 'Einpassen (Seitenverhältnis beibehalten)',
        compressionServer: 'Wahl des Servers',
        clipboardToGuest: 'Nur zur VM',
        depth: '16 Bit',
        note: 'WAN-Optionen wirken nur bei Windows-Gästen (diese VM läuft mit rhel_9x64).',
      },
      'German',
    );
    await setConsoleLocale('fr');
    await Promise.all([options.updateComplete, inline.updateComplete]);
    const french = seen();
    assertEqual(
      [french.toggle, french.legends, french.scaleFit, french.clipboardToGuest, french.note],
      [
        'Options de la console',
        ['WAN', 'Profondeur de couleur', 'Désactiver les effets'],
        'Ajuster (garder les proportions)',
        'Vers la VM seulement',
        "Les options WAN ne s'appliquent qu'aux invités Windows (cette VM exécute rhel_9x64).",
      ],
      'French',
    );
    await setConsoleLocale('en');
    await Promise.all([options.updateComplete, inline.updateComplete]);
    assertEqual(seen(), english, 'English again');
  });

  it('should translate the USB menu, its devices and the migration notice, and bring English back', async () => {
    const el = new SpiceConsole(fakeEngine);
    el.id = 'vm-usb';
    document.body.append(el);
    const menu = document.createElement('spice-usb-menu') as SpiceUsbMenu;
    menu.setAttribute('for', 'vm-usb');
    document.body.append(menu);
    await Promise.all([el.updateComplete, menu.updateComplete]);
    const part = (name: string) => menu.shadowRoot!.querySelector<HTMLElement>(`[part="${name}"]`);
    const words = (name: string) => part(name)?.textContent?.replace(/\s+/g, ' ').trim();
    const reason = el.usbStatus.reason!;
    assert(!!reason, 'USB is unavailable before connecting');
    const unavailable = () => [part('toggle')!.title, words('reason'), words('empty'), words('add')];
    assertEqual(
      unavailable(),
      [`USB redirection is unavailable: ${reason}`, `USB redirection is unavailable: ${reason}`, 'No USB device yet.', 'Redirect a USB device…'],
      'English',
    );
    await setConsoleLocale('de');
    await menu.updateComplete;
    assertEqual(
      unavailable(),
      [`USB-Umleitung ist nicht verfügbar: ${reason}`, `USB-Umleitung ist nicht verfügbar: ${reason}`, 'Noch kein USB-Gerät.', 'USB-Gerät umleiten…'],
      'German (the reason from the console stays as given)',
    );
    // A status with a redirected device and the engine's migration warning, as the console reports it.
    const status: UsbStatus = {
      available: true,
      channels: { total: 2, free: 1 },
      devices: [{ key: '0403:6001:A1#0', state: 'redirected', channelId: 4, vendorId: 0x0403, productId: 0x6001, deviceClass: 0 }],
      migrationWarning: USB_MIGRATION_WARNING,
    };
    el.dispatchEvent(new CustomEvent('spice-usb', { detail: status, bubbles: true, composed: true }));
    menu.open = true;
    await menu.updateComplete;
    const device = () => [part('toggle')!.title, words('toggle'), words('device-name'), words('device-state'), words('device-action'), words('dismiss')];
    assertEqual(device(), ['USB-Geräte', 'USB (1)', 'USB-Gerät (0403:6001)', 'Umgeleitet (USB-Kanal 4)', 'Freigeben', 'Ausblenden'], 'German device');
    assert(words('notice')!.startsWith('Eine virtuelle Maschine mit umgeleiteten USB-Geräten kann nicht live migriert werden'), `German notice: ${words('notice')}`);
    await setConsoleLocale('fr');
    await menu.updateComplete;
    assertEqual(device(), ['Périphériques USB', 'USB (1)', 'Périphérique USB (0403:6001)', 'Redirigé (canal USB 4)', 'Libérer', 'Masquer'], 'French device');
    assert(words('notice')!.startsWith('Une machine virtuelle avec des périphériques USB redirigés'), `French notice: ${words('notice')}`);
    assertEqual(usbDeviceStateText({ ...status.devices[0]!, state: 'refused' }), "Refusé : la VM ne l'a pas accepté", 'French refusal without a reason');
    await setConsoleLocale('en');
    await menu.updateComplete;
    assertEqual(device(), ['USB devices', 'USB (1)', 'USB device (0403:6001)', 'Redirected (USB channel 4)', 'Release', 'Dismiss'], 'English again');
    assertEqual(words('notice'), `${USB_MIGRATION_WARNING} Dismiss`, 'English notice, as the engine words it');
  });

  it('should translate the pointer hint and the monitor name', async () => {
    const engine = inputFakeEngine('server');
    const el = new SpiceConsole(engine.factory);
    el.style.cssText = 'display:block;width:640px;height:480px';
    el.url = 'ws://fake';
    document.body.append(el);
    await el.connect();
    await engine.emit({ type: 'surface', displayId: 0, width: 640, height: 480 });
    await engine.emit(oneMonitor(640, 480));
    await el.updateComplete;
    const hint = () => el.shadowRoot!.querySelector('[part="hint"]')?.textContent?.trim();
    const monitor = el.shadowRoot!.querySelector<SpiceMonitor>('spice-monitor')!;
    assertEqual(hint(), 'Click to control the pointer', 'English');
    assertEqual(monitor.getAttribute('aria-label'), 'Monitor 1 (640×480)', 'English monitor name');
    await setConsoleLocale('de');
    await el.updateComplete;
    await monitor.updateComplete;
    assertEqual(hint(), 'Klicken, um den Mauszeiger zu steuern', 'German');
    assertEqual(monitor.getAttribute('aria-label'), 'Bildschirm 1 (640×480)', 'German monitor name');
    await setConsoleLocale('fr');
    await el.updateComplete;
    assertEqual(hint(), 'Cliquez pour contrôler le pointeur', 'French');
    // The hint under Pointer Lock (input.test.ts takes the lock with a real click), with and without a
    // release hotkey of the connection file.
    assertEqual(
      [strings.pointerHintRelease(), strings.pointerHintReleaseWith('Shift+F12')],
      ['Ctrl+Alt ou Échap libère le pointeur', 'Shift+F12, Ctrl+Alt ou Échap libère le pointeur'],
      'French release hint',
    );
    await setConsoleLocale('de');
    assertEqual(strings.pointerHintReleaseWith('Shift+F12'), 'Shift+F12, Strg+Alt oder Esc gibt den Mauszeiger frei', 'German release hint');
    await setConsoleLocale('en');
    await el.updateComplete;
    await monitor.updateComplete;
    assertEqual(hint(), 'Click to control the pointer', 'English again');
    assertEqual(monitor.getAttribute('aria-label'), 'Monitor 1 (640×480)', 'English monitor name again');
    assertEqual(
      [strings.pointerHintRelease(), strings.pointerHintReleaseWith('Shift+F12')],
      ['Ctrl+Alt or Esc releases the pointer', 'Shift+F12, Ctrl+Alt or Esc releases the pointer'],
      'English release hint',
    );
    await el.disconnect();
  });

  it('should have a translation of every id in every locale, with the same placeholders', async () => {
    // The msg() calls as the test server serves the strings modules; each id with its placeholder count.
    const modules = ['strings', 'options-strings', 'usb-strings'];
    const ids = new Map<string, number>();
    for (const name of modules) {
      const served = await (await fetch(new URL(`../../src/l10n/${name}.ts`, import.meta.url))).text();
      const source = served.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const calls = [...source.matchAll(/msg\(\s*(str)?(`[^`]*`|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*,\s*\{\s*id:\s*['"]([^'"]+)['"]/g)];
      assert(calls.length > 0, `msg() calls found in ${name}`);
      for (const c of calls) {
        const placeholders = c[1] ? (c[2]!.match(/\$\{/g) ?? []).length : 0;
        assert(!ids.has(c[3]!) || ids.get(c[3]!) === placeholders, `id ${c[3]} used twice with different placeholders`);
        ids.set(c[3]!, placeholders);
      }
      const all = (source.match(/\bmsg\(/g) ?? []).length;
      assertEqual(calls.length, all, `every msg() call in ${name} has a literal id`);
    }
    assert(ids.size >= 60, `ids found: ${ids.size}`);
    for (const [locale, templates] of [
      ['de', de],
      ['fr', fr],
    ] as [string, LocaleModule['templates']][]) {
      const missing = [...ids.keys()].filter((id) => !(id in templates));
      assertEqual(missing, [], `ids without a ${locale} translation`);
      const unused = Object.keys(templates).filter((id) => !ids.has(id));
      assertEqual(unused, [], `${locale} translations of no id`);
      for (const [id, count] of ids) {
        const t = templates[id]!;
        const values = typeof t === 'string' ? [] : ((t as { values?: unknown[] }).values ?? []);
        assertEqual(
          [...values].sort(),
          Array.from({ length: count }, (_, i) => i),
          `${locale} ${id}: placeholders`,
        );
      }
    }
  });
});
