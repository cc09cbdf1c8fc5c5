/**
 * Accessibility and translation of <spice-console>: the live region announces state changes, the element
 * names itself, and setConsoleLocale() switches its strings at run time (German and French bundled).
 */
import '../../src/define.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { consoleLocale, setConsoleLocale } from '../../src/l10n/localization.js';
import { assert, assertEqual, nextEvent } from './assert.js';

const fakeEngine = () => new Worker(new URL('./reconnect-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'l10n-fake-engine' });
const text = (el: SpiceConsole, part: string) => el.shadowRoot!.querySelector(`[part="${part}"]`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('<spice-console> accessibility and translation', () => {
  afterEach(async () => {
    document.querySelectorAll('spice-console').forEach((el) => el.remove());
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
});
