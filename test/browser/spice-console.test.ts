import '../../src/define.js';
import type { DisconnectDetail } from '../../src/api/types.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { assert, assertEqual, nextEvent } from './assert.js';

function mount(): SpiceConsole {
  const el = document.createElement('spice-console');
  document.body.append(el);
  return el;
}

describe('<spice-console>', () => {
  afterEach(() => document.querySelectorAll('spice-console').forEach((el) => el.remove()));

  it('should register the element once, idempotently', async () => {
    const { defineSpiceElements } = await import('../../src/register.js');
    defineSpiceElements();
    assert(customElements.get('spice-console') === SpiceConsole, 'spice-console is SpiceConsole');
  });

  it('should reflect url but never put the password in an attribute', async () => {
    const el = mount();
    el.url = 'ws://127.0.0.1:5999';
    el.password = 'hunter2';
    await el.updateComplete;
    assertEqual(el.getAttribute('url'), 'ws://127.0.0.1:5999', 'url attribute');
    for (const attr of Array.from(el.attributes)) assert(!attr.value.includes('hunter2'), `attribute ${attr.name} leaks the password`);
    assert(!el.shadowRoot!.innerHTML.includes('hunter2'), 'password rendered');
  });

  it('should refuse to connect without a url', async () => {
    const el = mount();
    let error: unknown;
    try {
      await el.connect();
    } catch (e) {
      error = e;
    }
    assert(error instanceof Error, 'connect() rejected');
  });

  it('should start the worker, hand it the canvas, and report an unreachable server once', async () => {
    const el = mount();
    el.url = 'ws://127.0.0.1:59999/';
    const events: DisconnectDetail[] = [];
    el.addEventListener('spice-disconnected', (e) => events.push((e as CustomEvent<DisconnectDetail>).detail));
    const ended = nextEvent<DisconnectDetail>(el, 'spice-disconnected');
    await el.connect();
    const detail = await ended;
    assertEqual(detail.code, 'unreachable', 'code');
    assertEqual(detail.clean, false, 'clean');
    // Canvases exist per monitor, once the server reported one: an unreachable server made none.
    assertEqual(el.shadowRoot!.querySelectorAll('canvas').length, 0, 'no monitor, no canvas');
    await new Promise((r) => setTimeout(r, 50));
    assertEqual(events.length, 1, 'exactly one spice-disconnected');
    assertEqual(await el.openSockets(), 0, 'no socket left');
    assertEqual(el.state, 'disconnected', 'state');
  });

  it('should end a session cleanly when disconnect() is called while connecting', async () => {
    const el = mount();
    // A TCP port that accepts nothing quickly is hard to find; the unroutable-free way: a server that never
    // answers is the e2e layer's job. Here disconnect() races the WebSocket opening.
    el.url = 'ws://127.0.0.1:59999/';
    const ended = nextEvent<DisconnectDetail>(el, 'spice-disconnected');
    const connecting = el.connect();
    await el.disconnect();
    const detail = await ended;
    await connecting;
    assert(detail.code === 'client' || detail.code === 'unreachable', `code ${detail.code}`);
    assertEqual(el.state, 'disconnected', 'state');
  });

  it('should end the session when removed from the page', async () => {
    const el = mount();
    el.url = 'ws://127.0.0.1:59999/';
    const ended = nextEvent<DisconnectDetail>(el, 'spice-disconnected');
    void el.connect();
    await el.updateComplete;
    el.remove();
    const detail = await ended;
    assert(['client', 'unreachable'].includes(detail.code), `code ${detail.code}`);
  });
});
