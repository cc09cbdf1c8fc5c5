/**
 * `spice-console/react`: the @lit/react components render the real elements, pass props as element
 * properties (the password never as an attribute), forward the console's events to their `on…` props
 * (a real session's events, not only hand-dispatched ones), swap handlers on re-render and let go on unmount.
 */
import * as React from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { DisconnectDetail } from '../../src/api/types.js';
import { SpiceConsole as SpiceConsoleElement } from '../../src/elements/spice-console/spice-console.js';
import { SpiceUsbMenu as SpiceUsbMenuElement } from '../../src/elements/spice-usb-menu/spice-usb-menu.js';
import { SpiceConsole, SpiceUsbMenu, SPICE_CONSOLE_EVENT_PROPS } from '../../src/react/index.js';
import { assert, assertEqual } from './assert.js';

async function until<T>(what: string, get: () => T | null | undefined | false, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('spice-console/react', () => {
  let host: HTMLDivElement;
  let root: Root;
  beforeEach(() => {
    host = document.createElement('div');
    document.body.append(host);
    root = createRoot(host);
  });
  afterEach(() => {
    root.unmount();
    host.remove();
  });

  it('should render the elements and set props as properties', async () => {
    const ref = React.createRef<SpiceConsoleElement>();
    root.render(
      React.createElement(
        SpiceConsole,
        { ref, id: 'vm1', url: 'ws://127.0.0.1:5999/spice/tok', password: 'hunter2', scale: 'fill', viewOnly: true, usb: 'native', usbFilter: '-1,-1,-1,-1,1' },
        React.createElement(SpiceUsbMenu, { slot: 'toolbar', for: 'vm1' }),
      ),
    );
    const el = await until('the element', () => ref.current);
    assert(el instanceof SpiceConsoleElement, 'ref is the <spice-console> element');
    await el.updateComplete;
    assertEqual(el.url, 'ws://127.0.0.1:5999/spice/tok', 'url');
    assertEqual(el.getAttribute('url'), 'ws://127.0.0.1:5999/spice/tok', 'url reflected');
    assertEqual(el.password, 'hunter2', 'password property');
    assert(!el.hasAttribute('password'), 'password is no attribute');
    for (const a of Array.from(el.attributes)) assert(!a.value.includes('hunter2'), `attribute ${a.name} leaks the password`);
    assertEqual(el.scale, 'fill', 'scale');
    assertEqual(el.viewOnly, true, 'viewOnly');
    assertEqual(el.usb, 'native', 'usb');
    assertEqual(el.usbFilter, '-1,-1,-1,-1,1', 'usbFilter');
    const menu = el.querySelector('spice-usb-menu');
    assert(menu instanceof SpiceUsbMenuElement, 'the menu element is rendered inside');
    assertEqual(menu.for, 'vm1', 'menu for');
  });

  it('should forward every event of the map to its on… prop, and swap handlers on re-render', async () => {
    const ref = React.createRef<SpiceConsoleElement>();
    const got: string[] = [];
    const handlers = Object.fromEntries(Object.keys(SPICE_CONSOLE_EVENT_PROPS).map((prop) => [prop, (e: Event) => got.push(`${prop}:${e.type}`)]));
    root.render(React.createElement(SpiceConsole, { ref, ...handlers }));
    const el = await until('the element', () => ref.current);
    await el.updateComplete;
    assert(got.includes('onSpiceUsb:spice-usb'), "the console's own first spice-usb status reached onSpiceUsb");
    got.length = 0;
    for (const event of Object.values(SPICE_CONSOLE_EVENT_PROPS)) el.dispatchEvent(new CustomEvent(event, { detail: {} }));
    assertEqual(
      got,
      Object.entries(SPICE_CONSOLE_EVENT_PROPS).map(([p, e]) => `${p}:${e}`),
      'each prop got its event',
    );

    const second: string[] = [];
    root.render(React.createElement(SpiceConsole, { ref, onSpiceResize: (e: CustomEvent<{ width: number }>) => second.push(`w${e.detail.width}`) }));
    await new Promise((r) => setTimeout(r, 50));
    got.length = 0;
    el.dispatchEvent(new CustomEvent('spice-resize', { detail: { displayId: 0, width: 640, height: 480 } }));
    assertEqual(second, ['w640'], 'the new handler');
    assertEqual(got, [], 'the old handlers are gone');
  });

  it('should deliver a real session end to onSpiceDisconnected and onSpiceState', async () => {
    const ref = React.createRef<SpiceConsoleElement>();
    const states: string[] = [];
    let ended: DisconnectDetail | null = null;
    root.render(
      React.createElement(SpiceConsole, {
        ref,
        url: 'ws://127.0.0.1:59998/',
        onSpiceState: (e: CustomEvent<{ state: string }>) => states.push(e.detail.state),
        onSpiceDisconnected: (e: CustomEvent<DisconnectDetail>) => {
          ended = e.detail;
        },
      }),
    );
    const el = await until('the element', () => ref.current);
    await el.connect();
    const detail = await until('spice-disconnected', () => ended);
    assertEqual(detail.code, 'unreachable', 'code');
    assertEqual(states, ['connecting', 'disconnected'], 'states');
  });
});
