/**
 * Storage unavailable: IndexedDB refusing to open (as in a sandboxed or storage-blocked context, where
 * Chromium's indexedDB.open throws a SecurityError) and IndexedDB never answering. The console must still
 * connect and take setting changes; its `spice-settings` events and the options dialog say the settings are
 * not kept. This file patches IDBFactory.open for its own page only (web-test-runner gives each file one).
 */
import '../../src/define.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { STORAGE_TIMEOUT_MS } from '../../src/settings/settings-storage.js';
import { assert, assertEqual, nextEvent } from './assert.js';
import { settingsEvents, uniqueVmId } from './settings-support.js';

const fakeEngine = () => new Worker(new URL('./usb-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'settings-fake-engine' });
// eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to put back on the prototype, never called detached
const realOpen = IDBFactory.prototype.open;

describe('settings when storage is unavailable', () => {
  afterEach(() => {
    IDBFactory.prototype.open = realOpen;
    document.querySelectorAll('spice-console, spice-console-options').forEach((el) => el.remove());
  });

  async function mount(): Promise<{ el: SpiceConsole; events: ReturnType<typeof settingsEvents> }> {
    const el = new SpiceConsole(fakeEngine);
    el.id = 'vm';
    el.setAttribute('vm-id', uniqueVmId('blocked'));
    el.url = 'ws://fake/?usbredir=0';
    const events = settingsEvents(el);
    document.body.append(el);
    return { el, events };
  }

  it('should connect and say settings are not kept when IndexedDB refuses to open', async () => {
    IDBFactory.prototype.open = function () {
      throw new DOMException('The user denied permission to access the database.', 'SecurityError');
    };
    const { el, events } = await mount();
    const unavailable = await events.next('unavailable');
    assert(/^IndexedDB is unavailable \(SecurityError: The user denied/.test(unavailable.reason ?? ''), unavailable.reason ?? '');
    assertEqual(el.settingsStatus.kept, false, 'status: not kept');

    const connected = nextEvent(el, 'spice-connected');
    await el.connect();
    await connected;
    assertEqual(el.state, 'connected', 'the console works');

    el.scale = 'fill';
    await events.next('unavailable');
    assertEqual(el.scale, 'fill', 'the change applies even though it is not kept');

    const options = document.createElement('spice-console-options');
    options.setAttribute('for', 'vm');
    options.inline = true;
    document.body.append(options);
    await options.updateComplete;
    const kept = options.shadowRoot!.querySelector('[part="kept"]')!;
    assertEqual(kept.getAttribute('data-kept'), 'false', 'the dialog marks it');
    assert(/^Settings are not kept: IndexedDB is unavailable \(SecurityError: /.test(kept.textContent!.trim()), kept.textContent!);
    await el.disconnect();
  });

  it('should not wait for an IndexedDB that never answers longer than the storage timeout', async () => {
    IDBFactory.prototype.open = function () {
      return {} as IDBOpenDBRequest; // a request whose events never fire
    };
    const { el, events } = await mount();
    const started = performance.now();
    const connected = nextEvent(el, 'spice-connected', STORAGE_TIMEOUT_MS + 10_000);
    await el.connect();
    await connected;
    const waited = performance.now() - started;
    assert(waited < STORAGE_TIMEOUT_MS + 2000, `connected after ${Math.round(waited)} ms`);
    const unavailable = await events.next('unavailable', 1);
    assertEqual(unavailable.reason, `IndexedDB did not answer within ${STORAGE_TIMEOUT_MS} ms (read)`, 'reason');
    await el.disconnect();
  });
});
