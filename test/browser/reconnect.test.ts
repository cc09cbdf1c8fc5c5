/**
 * Reconnect: the backoff arithmetic and state machine of ReconnectController (fake timers), and the
 * element's `reconnect` behaviour against the real engine worker (an unreachable port) and a stand-in
 * worker (reconnect-fake-engine.worker.ts) that connects and drops, or fails authentication.
 */
import '../../src/define.js';
import { ReconnectController, defaultReconnectPolicy, isRetryable, reconnectDelay } from '../../src/controllers/reconnect-controller.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { assert, assertEqual, nextEvent } from './assert.js';

const fakeEngine = () => new Worker(new URL('./reconnect-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'reconnect-fake-engine' });
const host = { addController() {}, removeController() {}, requestUpdate() {}, updateComplete: Promise.resolve(true) };

type Reconnecting = { attempt: number; delay: number; maxAttempts: number; code: string };

describe('reconnect backoff', () => {
  it('should grow exponentially, cap, and take jitter off', () => {
    const p = { ...defaultReconnectPolicy, baseDelayMs: 1000, maxDelayMs: 10000, factor: 2, jitter: 0.5 };
    assertEqual(
      [1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, p, () => 0)),
      [1000, 2000, 4000, 8000, 10000, 10000],
      'no jitter drawn',
    );
    assertEqual(
      reconnectDelay(3, p, () => 0.999999),
      2000,
      'most jitter: half of 4000',
    );
    for (let i = 0; i < 50; i++) {
      const d = reconnectDelay(4, p);
      assert(d >= 4000 && d <= 8000, `jittered delay ${d} within [4000, 8000]`);
    }
  });

  it('should never retry after client, auth-failed or unsupported', () => {
    assertEqual(
      ['client', 'auth-failed', 'unsupported'].map((c) => isRetryable(c as never)),
      [false, false, false],
      'final codes',
    );
    assertEqual(
      ['transport-closed', 'unreachable', 'timeout', 'protocol', 'link-refused'].map((c) => isRetryable(c as never)),
      [true, true, true, true, true],
      'retryable',
    );
  });

  it('should schedule attempts, reset on connect, stop at the limit and cancel', () => {
    const timers: { fn: () => void; ms: number }[] = [];
    const fired: number[] = [];
    let enabled = true;
    const c = new ReconnectController(host, {
      enabled: () => enabled,
      reconnect: (plan) => fired.push(plan.attempt),
      policy: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 3, factor: 3, jitter: 0 },
      setTimer: (fn, ms) => timers.push({ fn, ms }),
      clearTimer: () => undefined,
    });
    const d1 = c.ended('transport-closed');
    assert(d1.kind === 'scheduled' && d1.plan.attempt === 1 && d1.plan.delayMs === 100, 'first attempt after 100 ms');
    timers.shift()!.fn();
    assertEqual(fired, [1], 'attempt 1 ran');
    const d2 = c.ended('unreachable');
    assert(d2.kind === 'scheduled' && d2.plan.attempt === 2 && d2.plan.delayMs === 300, 'second after 300 ms');
    const d3 = c.ended('unreachable');
    assert(d3.kind === 'scheduled' && d3.plan.delayMs === 900, 'third after 900 ms');
    assertEqual(c.ended('unreachable'), { kind: 'final', why: 'gave-up' }, 'gives up after 3');
    assert(c.ended('unreachable').kind === 'scheduled', 'a later drop starts over');
    c.connected();
    const again = c.ended('timeout');
    assert(again.kind === 'scheduled' && again.plan.attempt === 1, 'connected resets the count');
    assertEqual(c.ended('auth-failed'), { kind: 'final', why: 'not-retryable' }, 'auth-failed');
    assertEqual(c.scheduled, null, 'nothing pending after auth-failed');
    enabled = false;
    assertEqual(c.ended('transport-closed'), { kind: 'final', why: 'off' }, 'off');
  });
});

describe('<spice-console reconnect>', () => {
  afterEach(() => document.querySelectorAll('spice-console').forEach((el) => el.remove()));

  it('should retry an unreachable server with growing delays and give up at the limit', async () => {
    const el = document.createElement('spice-console');
    document.body.append(el);
    el.reconnect = true;
    el.reconnectPolicy = { baseDelayMs: 50, factor: 2, maxDelayMs: 1000, maxAttempts: 3, jitter: 0 };
    el.url = 'ws://127.0.0.1:59998/';
    const seen: Reconnecting[] = [];
    const states: string[] = [];
    el.addEventListener('spice-reconnecting', (e) => seen.push((e as CustomEvent<Reconnecting>).detail));
    el.addEventListener('spice-state', (e) => states.push((e as CustomEvent<{ state: string }>).detail.state));
    const failed = nextEvent<{ attempts: number; code: string }>(el, 'spice-reconnect-failed', 20000);
    await el.connect();
    const f = await failed;
    assertEqual([f.attempts, f.code], [3, 'unreachable'], 'gave up');
    assertEqual(
      seen.map((s) => [s.attempt, s.delay, s.code]),
      [
        [1, 50, 'unreachable'],
        [2, 100, 'unreachable'],
        [3, 200, 'unreachable'],
      ],
      'attempts',
    );
    assert(states.includes('reconnecting'), `reconnecting state seen: ${states.join(',')}`);
    assertEqual(el.state, 'disconnected', 'final state');
    const live = el.shadowRoot!.querySelector('[part="announce"]')!;
    assert(/Could not reconnect/.test(live.textContent ?? ''), `live region says so: ${live.textContent}`);
  });

  it('should come back after a drop, and start again from the first delay', async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    el.reconnect = true;
    el.reconnectPolicy = { baseDelayMs: 30, jitter: 0 };
    el.url = 'ws://fake/?drop=150';
    const seen: Reconnecting[] = [];
    let connects = 0;
    el.addEventListener('spice-reconnecting', (e) => seen.push((e as CustomEvent<Reconnecting>).detail));
    el.addEventListener('spice-connected', () => connects++);
    await el.connect();
    const start = Date.now();
    while (connects < 3 && Date.now() - start < 10000) await new Promise((r) => setTimeout(r, 20));
    el.reconnect = false;
    await el.disconnect();
    assert(connects >= 3, `connected ${connects} times`);
    assert(seen.length >= 2, `reconnecting events: ${seen.length}`);
    assert(
      seen.every((s) => s.attempt === 1 && s.delay === 30 && s.code === 'transport-closed'),
      `every drop starts from attempt 1: ${JSON.stringify(seen)}`,
    );
  });

  it('should not reconnect after auth-failed', async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    el.reconnect = true;
    el.reconnectPolicy = { baseDelayMs: 10, jitter: 0 };
    el.url = 'ws://fake/?end=auth-failed';
    let reconnecting = 0;
    el.addEventListener('spice-reconnecting', () => reconnecting++);
    const ended = nextEvent<{ code: string }>(el, 'spice-disconnected');
    await el.connect();
    assertEqual((await ended).code, 'auth-failed', 'code');
    await new Promise((r) => setTimeout(r, 300));
    assertEqual(reconnecting, 0, 'no reconnect attempt');
    assertEqual(el.state, 'disconnected', 'state');
  });

  it('should stop reconnecting when disconnect() is called between attempts', async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    el.reconnect = true;
    el.reconnectPolicy = { baseDelayMs: 400, jitter: 0 };
    el.url = 'ws://fake/?end=transport-closed';
    const first = nextEvent(el, 'spice-reconnecting');
    await el.connect();
    await first;
    assertEqual(el.state, 'reconnecting', 'waiting');
    await el.disconnect();
    assertEqual(el.state, 'disconnected', 'stopped');
    let more = 0;
    el.addEventListener('spice-reconnecting', () => more++);
    await new Promise((r) => setTimeout(r, 700));
    assertEqual(more, 0, 'no attempt after disconnect()');
  });
});
