/**
 * Per-VM settings and <spice-console-options> in Chromium with its real IndexedDB: the dialog driven by the
 * keyboard alone (web-test-runner's sendKeys: real key presses), each control setting the console property
 * and the stored record, precedence (site defaults < attributes < stored, the clipboard only narrowed),
 * corrupt records ignored, the server's UUID as key, and the real <spice-console> keeping its settings
 * across consoles (a stand-in engine worker, so no server is needed here; the e2e test uses Xspice).
 */
import '../../src/define.js';
import { sendKeys } from '@web/test-runner-commands';
import { defineSpiceElements } from '../../src/register.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { SpiceConsoleOptions } from '../../src/elements/spice-console-options/spice-console-options.js';
import { assert, assertEqual, nextEvent } from './assert.js';
import { TestSettingsConsole, readRaw, settingsEvents, uniqueVmId, writeRaw } from './settings-support.js';

const fakeEngine = () => new Worker(new URL('./usb-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'settings-fake-engine' });

function mountTest(attrs: Record<string, string>): { el: TestSettingsConsole; events: ReturnType<typeof settingsEvents> } {
  const el = document.createElement('test-settings-console') as TestSettingsConsole;
  el.id = 'vm';
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  const events = settingsEvents(el);
  document.body.append(el);
  return { el, events };
}

function mountOptions(attrs: Record<string, string> = { for: 'vm' }): SpiceConsoleOptions {
  const options = document.createElement('spice-console-options');
  for (const [k, v] of Object.entries(attrs)) options.setAttribute(k, v);
  document.body.append(options);
  return options;
}

const part = <T extends HTMLElement = HTMLElement>(o: SpiceConsoleOptions, name: string) => o.shadowRoot!.querySelector<T>(`[part="${name}"]`);
const focused = (o: SpiceConsoleOptions) => o.shadowRoot!.activeElement as HTMLElement | null;
const describeFocus = (o: SpiceConsoleOptions) => {
  const f = focused(o);
  return f
    ? `${f.tagName.toLowerCase()}[part=${f.getAttribute('part')}][name=${f.getAttribute('name')}][value=${(f as HTMLInputElement).value}]`
    : `outside (${document.activeElement?.tagName})`;
};
const press = (key: string) => sendKeys({ press: key });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('<spice-console-options> and per-VM settings', () => {
  afterEach(() => {
    SpiceConsole.siteDefaults = {};
    document.querySelectorAll('spice-console-options, test-settings-console, spice-console, button.before').forEach((el) => el.remove());
  });

  it('should register idempotently next to the other spice-* elements', () => {
    assert(customElements.get('spice-console-options') === SpiceConsoleOptions, 'spice-console-options is SpiceConsoleOptions');
    defineSpiceElements();
    assert(customElements.get('spice-console-options') === SpiceConsoleOptions, 'still the same class');
  });

  it('should be operable by keyboard alone: Enter opens, Space and Enter toggle, arrows choose, Esc closes', async () => {
    const vmId = uniqueVmId('keyboard');
    const { el, events } = mountTest({ 'vm-id': vmId, 'os-type': 'windows' });
    await events.next('loaded');
    const before = document.createElement('button');
    before.className = 'before';
    before.textContent = 'before';
    document.body.insertBefore(before, document.body.firstChild);
    const options = mountOptions();
    await options.updateComplete;
    before.focus();

    await press('Tab');
    assertEqual(focused(options)?.getAttribute('part'), 'toggle', 'Tab reaches the toggle');
    await press('Enter');
    await options.updateComplete;
    assert(options.open && part<HTMLDialogElement>(options, 'dialog')!.open, 'Enter opened the dialog');
    assertEqual(focused(options)?.getAttribute('part'), 'wan-switch', 'the first control has the focus');
    assertEqual(el.wanOptions, false, 'WAN off at first');

    await press('Space');
    assertEqual(el.wanOptions, true, 'Space switched WAN on');
    assertEqual((await events.next('saved')).stored, { wanOptions: true }, 'saved: WAN on');
    await options.updateComplete;

    await press('Tab');
    assertEqual(describeFocus(options), 'input[part=null][name=color-depth][value=16]', 'Tab reaches the checked depth (the site default 16)');
    await press('ArrowDown');
    assertEqual(el.colorDepth, 32, 'an arrow chose 32 bits');
    await events.next('saved');

    await press('Tab');
    assertEqual(describeFocus(options), 'input[part=null][name=effect][value=wallpaper]', 'Tab reaches the first effect');
    await press('Space');
    await press('Tab');
    assertEqual(describeFocus(options), 'input[part=null][name=effect][value=font-smooth]', 'then font smoothing');
    await press('Enter');
    assertEqual(el.disableEffects, ['wallpaper', 'font-smooth', 'animation'], 'Space and Enter added two effects to the site default');
    await events.next('saved');

    await press('Tab'); // animation
    await press('Tab'); // all
    await press('Tab');
    assertEqual(focused(options)?.getAttribute('part'), 'scale', 'Tab reaches scale');
    await press('ArrowDown');
    assertEqual(el.scale, 'fill', 'ArrowDown chose fill');
    await events.next('saved');

    await press('Tab');
    assertEqual(focused(options)?.getAttribute('part'), 'image-compression', 'then image compression');
    await press('End');
    assertEqual(el.imageCompression, 'lz4', 'End chose the last compression');
    await events.next('saved');
    await press('Tab');
    assertEqual(focused(options)?.getAttribute('part'), 'clipboard', 'then the clipboard policy');
    await press('Tab');
    assertEqual(focused(options)?.getAttribute('part'), 'close', 'then Close');

    await press('Escape');
    await options.updateComplete;
    assert(!options.open && !part<HTMLDialogElement>(options, 'dialog')!.open, 'Esc closed the dialog');
    assertEqual(focused(options)?.getAttribute('part'), 'toggle', 'the focus went back to the toggle');

    assertEqual(
      await readRaw(vmId),
      { v: 1, wanOptions: true, colorDepth: 32, disableEffects: ['wallpaper', 'font-smooth', 'animation'], scale: 'fill', imageCompression: 'lz4' },
      'the stored record holds exactly what the user chose',
    );
    // Enter on the toggle opens again, and Close by Enter closes.
    await press('Enter');
    await options.updateComplete;
    assert(options.open, 'opened again');
    part(options, 'close')!.focus();
    await press('Enter');
    await options.updateComplete;
    assert(!options.open, 'Close closed it');
  });

  it('should label every control and name its groups', async () => {
    const { events } = mountTest({ 'vm-id': uniqueVmId('labels') });
    await events.next('loaded');
    const options = mountOptions({ for: 'vm', inline: '' });
    await options.updateComplete;
    assert(part(options, 'dialog') === null && part(options, 'toggle') === null, 'inline: no dialog, no toggle');
    const controls = Array.from(options.shadowRoot!.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select'));
    assertEqual(controls.length, 1 + 2 + 4 + 3, 'WAN switch, 2 depths, 4 effects, 3 selects');
    for (const c of controls) {
      const label = Array.from(c.labels ?? [])
        .map((l) => l.textContent!.trim())
        .join(' ');
      assert(label.length > 0, `${c.outerHTML} has a label`);
    }
    const legends = Array.from(options.shadowRoot!.querySelectorAll('legend')).map((l) => l.textContent!.trim());
    assertEqual(legends, ['WAN', 'Color depth', 'Disable effects'], 'group names');
    assertEqual(part(options, 'wan-switch')!.getAttribute('role'), 'switch', 'the WAN switch is a switch');
  });

  it('should show the WAN note for non-Windows and unknown OS, not for Windows', async () => {
    const { el, events } = mountTest({ 'vm-id': uniqueVmId('note') });
    await events.next('loaded');
    const options = mountOptions({ for: 'vm', inline: '' });
    await options.updateComplete;
    const note = () => options.shadowRoot!.querySelector('#wan-note')?.textContent?.trim() ?? null;
    assert(/unknown: WAN options take effect on Windows guests only/.test(note() ?? ''), `unknown OS: ${note()}`);
    assertEqual(part(options, 'wan-switch')!.getAttribute('aria-describedby'), 'wan-note', 'the switch is described by the note');
    el.osType = 'rhel_9x64';
    options.requestUpdate();
    await options.updateComplete;
    assertEqual(note(), 'WAN options take effect on Windows guests only (this VM runs rhel_9x64).', 'Linux');
    el.osType = 'windows_2022';
    options.requestUpdate();
    await options.updateComplete;
    assertEqual(note(), null, 'no note for Windows');
  });

  it('should take site defaults < attributes < stored choices, and only narrow the portal clipboard', async () => {
    const vmId = uniqueVmId('precedence');
    await writeRaw(vmId, { v: 1, imageCompression: 'lz', clipboard: 'both', wanOptions: true });
    SpiceConsole.siteDefaults = { scale: 'none', imageCompression: 'quic', disableEffects: ['wallpaper'] };
    const { el, events } = mountTest({ 'vm-id': vmId, 'image-compression': 'glz', clipboard: 'to-guest', 'color-depth': '32' });
    const loaded = await events.next('loaded');
    assertEqual(loaded.stored, { wanOptions: true, imageCompression: 'lz', clipboard: 'both' }, 'the stored choices');
    assertEqual(el.scale, 'none', 'site default over built-in');
    assertEqual(el.colorDepth, 32, "the portal's attribute over the site default (16)");
    assertEqual(el.disableEffects, ['wallpaper'], 'site default');
    assertEqual(el.imageCompression, 'lz', 'stored over attribute over site default');
    assertEqual(el.wanOptions, true, 'stored');
    assertEqual(el.clipboard, 'to-guest', 'a stored "both" does not widen the portal\'s "to-guest"');
    assertEqual(el.settingsStatus.clipboardLimit, 'to-guest', 'the limit');

    const options = mountOptions({ for: 'vm', inline: '' });
    await options.updateComplete;
    const choices = Array.from(part<HTMLSelectElement>(options, 'clipboard')!.options).map((o) => `${o.value}${o.disabled ? ' (disabled)' : ''}`);
    assertEqual(choices, ['both (disabled)', 'to-guest', 'from-guest (disabled)', 'off'], 'wider choices disabled');

    // The page widening it after load is narrowed back; narrowing is kept.
    el.clipboard = 'both';
    await events.next('saved');
    assertEqual(el.clipboard, 'to-guest', 'narrowed back');
    el.clipboard = 'off';
    assertEqual((await events.next('saved')).stored?.clipboard, 'off', 'narrowing stored');
    assertEqual(((await readRaw(vmId)) as { clipboard: string }).clipboard, 'off', 'in IndexedDB');
  });

  it('should store a property the page sets after load, and apply it to the next console of that VM', async () => {
    const vmId = uniqueVmId('property');
    const first = mountTest({ 'vm-id': vmId });
    assertEqual((await first.events.next('loaded')).reason, 'nothing stored for this VM yet', 'nothing yet');
    first.el.scale = 'fill';
    first.el.disableEffects = ['all'];
    first.el.usbAutoRedirectFilter = '-1,0x2341,-1,-1,1';
    assertEqual(
      (await first.events.next('saved')).stored,
      { disableEffects: ['all'], scale: 'fill', usbAutoRedirectFilter: '-1,0x2341,-1,-1,1' },
      'one save for the three',
    );
    first.el.remove();
    const second = mountTest({ 'vm-id': vmId, scale: 'none' });
    await second.events.next('loaded');
    assertEqual([second.el.scale, second.el.disableEffects, second.el.usbAutoRedirectFilter], ['fill', ['all'], '-1,0x2341,-1,-1,1'], 'applied over the attribute');
    // A value the setting may not have is not kept.
    second.el.scale = 'zoom' as never;
    second.el.colorDepth = 32;
    assertEqual(
      (await second.events.next('saved')).stored,
      { colorDepth: 32, disableEffects: ['all'], scale: 'fill', usbAutoRedirectFilter: '-1,0x2341,-1,-1,1' },
      'zoom not stored',
    );
  });

  it("should take settings the portal gives later as the portal's: applied, not stored, below the user's stored choice", async () => {
    const vmId = uniqueVmId('portal-later');
    await writeRaw(vmId, { v: 1, colorDepth: 32 });
    const { el, events } = mountTest({ 'vm-id': vmId });
    await events.next('loaded');
    assertEqual(el.colorDepth, 32, 'the stored choice');
    el.scale = 'fill'; // a user choice before the portal speaks stays the user's
    el.setPortalSettings({ wanOptions: true, colorDepth: 16, disableEffects: ['animation'], scale: 'none', imageCompression: 'nonsense' as never });
    await el.updateComplete;
    assertEqual(
      [el.wanOptions, el.colorDepth, el.disableEffects, el.scale, el.imageCompression],
      [true, 32, ['animation'], 'fill', ''],
      'portal values under the stored ones',
    );
    assertEqual((await events.next('saved')).stored, { colorDepth: 32, scale: 'fill' }, 'only the user choices stored');
    await el.settled();
    assertEqual(await readRaw(vmId), { v: 1, colorDepth: 32, scale: 'fill' }, 'in IndexedDB');
    // The portal's values are the baseline: a new VM on this console starts from them.
    el.vmId = uniqueVmId('portal-later-next');
    await el.updateComplete;
    await el.settled();
    assertEqual([el.wanOptions, el.colorDepth, el.disableEffects, el.scale], [true, 16, ['animation'], 'none'], 'the next VM starts from the portal values');
  });

  it('should ignore corrupt, foreign and old records with a warning event, keep working, and overwrite them on the next change', async () => {
    const cases: [unknown, RegExp][] = [
      [{ v: 1, scale: 'sideways' }, /invalid: scale must be one of/],
      [{ v: 0, scale: 'fill' }, /version 0/],
      [{ v: 1, password: 'hunter2' }, /unknown field "password"/],
      [JSON.parse('{"v":1,"__proto__":{"scale":"fill"}}'), /unknown field "__proto__"/],
      [{ v: 1, usbAutoRedirectFilter: 'x'.repeat(100_000) }, /longer than 4096/],
      ['scale=fill', /not an object/],
      [new Blob(['{"v":1}']), /not an object/],
    ];
    for (const [raw, reason] of cases) {
      const vmId = uniqueVmId('corrupt');
      await writeRaw(vmId, raw);
      const { el, events } = mountTest({ 'vm-id': vmId });
      const ignored = await events.next('ignored');
      assert(reason.test(ignored.reason ?? ''), `${String(raw).slice(0, 40)}: ${ignored.reason}`);
      assertEqual(ignored.vmId, vmId, 'names the VM');
      assertEqual([el.scale, el.colorDepth], ['fit', 16], 'defaults in force');
      assertEqual(el.settingsStatus.state, 'ignored', 'status');
      el.scale = 'none';
      await events.next('saved');
      assertEqual(await readRaw(vmId), { v: 1, scale: 'none' }, 'a fresh record replaced the corrupt one');
      el.remove();
    }
    assertEqual(({} as Record<string, unknown>).scale, undefined, 'Object.prototype untouched');
  });

  it("should keep settings under the server's UUID when no vm-id is given, including changes made before it was known", async () => {
    const uuid = crypto.randomUUID();
    const { el, events } = mountTest({});
    await el.updateComplete;
    assertEqual(el.settingsStatus.state, 'none', 'no VM id yet');
    assert(!el.settingsStatus.kept, 'not kept yet');
    el.scale = 'none';
    await el.updateComplete;
    el.session = { uuid: '00000000-0000-0000-0000-000000000000' };
    await el.updateComplete;
    assertEqual(el.settingsStatus.vmId, '', 'a nil UUID is no id');
    el.session = { uuid };
    await events.next('loaded');
    assertEqual((await events.next('saved')).vmId, uuid, 'the change made before is saved under the UUID');
    assertEqual(await readRaw(uuid), { v: 1, scale: 'none' }, 'stored');
    // The UUID stays the key after the session ends; a vm-id takes over.
    el.session = null;
    el.colorDepth = 32;
    assertEqual((await events.next('saved')).vmId, uuid, 'still the UUID');
    const vmId = uniqueVmId('takes-over');
    el.vmId = vmId;
    await events.next('loaded');
    assertEqual([el.scale, el.colorDepth], ['fit', 16], "another VM: the previous VM's choices are gone");
    // A setting changed together with the vm-id belongs to the new VM.
    const third = uniqueVmId('with-change');
    el.vmId = third;
    el.scale = 'fill';
    await events.next('loaded');
    assertEqual((await events.next('saved')).vmId, third, 'saved for the new VM');
    assertEqual(await readRaw(third), { v: 1, scale: 'fill' }, 'stored under the new VM');
    assertEqual(await readRaw(vmId), undefined, 'nothing stored for the VM it left');
  });

  it('should keep its keys from a connected console it sits in (the console would send them to the guest)', async () => {
    const el = new SpiceConsole(fakeEngine);
    el.setAttribute('vm-id', uniqueVmId('toolbar-keys'));
    el.url = 'ws://fake/?usbredir=0';
    const events = settingsEvents(el);
    const options = document.createElement('spice-console-options');
    options.slot = 'toolbar';
    el.append(options);
    document.body.append(el);
    await events.next('loaded');
    const connected = nextEvent(el, 'spice-connected');
    await el.connect();
    await connected;
    const guestKeys: string[] = [];
    el.addEventListener('keydown', (e) => guestKeys.push(e.code));
    part(options, 'toggle')!.focus();
    await press('Enter');
    await options.updateComplete;
    assert(options.open, 'Enter opened the dialog');
    assertEqual(focused(options)?.getAttribute('part'), 'wanOptions' in el ? 'wan-switch' : 'scale', 'the first control');
    part(options, 'scale')!.focus();
    await press('ArrowDown');
    assertEqual(el.scale, 'fill', 'ArrowDown reached the select, not the guest');
    await events.next('saved');
    await press('Escape');
    await options.updateComplete;
    assert(!options.open, 'Esc closed the dialog');
    assertEqual(guestKeys, [], 'no key reached the console');
    await el.disconnect();
  });

  it('should keep the real console’s scale, compression and USB auto-redirect choices, never its password, and connect with them', async () => {
    const vmId = uniqueVmId('console');
    const el = new SpiceConsole(fakeEngine);
    el.id = 'vm';
    el.setAttribute('vm-id', vmId);
    el.password = 'hunter2';
    const events = settingsEvents(el);
    document.body.append(el);
    await events.next('loaded');
    assertEqual(el.getAttribute('vm-id'), vmId, 'vm-id attribute');
    const options = document.createElement('spice-console-options');
    options.slot = 'toolbar';
    el.append(options);
    await options.updateComplete;
    assert(options.console === el, 'found the enclosing console');
    assertEqual(part(options, 'wan') !== null, 'wanOptions' in el, 'WAN controls exactly when the console has WAN options');
    options.show();
    await options.updateComplete;
    const scale = part<HTMLSelectElement>(options, 'scale')!;
    scale.value = 'none';
    scale.dispatchEvent(new Event('change', { bubbles: true }));
    assertEqual(el.scale, 'none', 'the control set the console property');
    await events.next('saved');
    el.imageCompression = 'quic';
    el.usbAutoRedirectFilter = '0x08,-1,-1,-1,1';
    await events.next('saved');
    const raw = await readRaw(vmId);
    assertEqual(raw, { v: 1, scale: 'none', imageCompression: 'quic', usbAutoRedirectFilter: '0x08,-1,-1,-1,1' }, 'the record');
    assert(!JSON.stringify(raw).includes('hunter2'), 'no password in the record');
    options.hide();
    el.remove();

    const again = new SpiceConsole(fakeEngine);
    again.setAttribute('vm-id', vmId);
    again.url = 'ws://fake/?usbredir=0';
    const againEvents = settingsEvents(again);
    document.body.append(again);
    const connected = nextEvent(again, 'spice-connected');
    await again.connect(); // waits for the record, so the stored compression is what it asks for
    await connected;
    assertEqual(againEvents.all[0]?.state, 'loaded', 'loaded before connecting');
    assertEqual([again.scale, again.imageCompression, again.usbAutoRedirectFilter], ['none', 'quic', '0x08,-1,-1,-1,1'], 'applied');
    assertEqual(again.state, 'connected', 'connected');
    await again.disconnect();
    await tick();
  });
});
