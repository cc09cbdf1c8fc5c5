// <spice-console>'s agent attributes, calls and events against a stand-in engine worker (agent-fake-engine.worker.ts).
import '../../src/define.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { assert, assertEqual, nextEvent } from './assert.js';

const fakeEngine = () => new Worker(new URL('./agent-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'agent-fake-engine' });

function mount(html = ''): SpiceConsole {
  const holder = document.createElement('div');
  holder.innerHTML = `<spice-console ${html}></spice-console>`;
  const el = holder.firstElementChild as SpiceConsole;
  document.body.append(el);
  return el;
}

async function connected(el: SpiceConsole): Promise<void> {
  const up = nextEvent(el, 'spice-agent');
  el.url = 'ws://fake/';
  await el.connect();
  await up;
}

const calls = (el: SpiceConsole): Promise<{ name: string; args: any }[]> => (el as any).engine.api.calls();

describe('<spice-console> agent', () => {
  afterEach(() => document.querySelectorAll('spice-console').forEach((el) => el.remove()));

  it('parses the WAN attributes and says when WAN options are offered', async () => {
    const el = mount('wan-options color-depth="32" disable-effects="wallpaper animation,bogus" os-type="windows_10x64" clipboard="to-guest"');
    await el.updateComplete;
    assertEqual([el.wanOptions, el.colorDepth, el.disableEffects, el.clipboard], [true, 32, ['wallpaper', 'animation'], 'to-guest'], 'properties');
    assertEqual([el.wanOptionsOffered, el.wanOptionsReason], [true, ''], 'Windows: offered');
    el.setAttribute('color-depth', '24');
    el.osType = 'linux';
    await el.updateComplete;
    assertEqual(el.colorDepth, 16, 'a depth that is not 16 or 32 falls back to 16');
    assert(!el.wanOptionsOffered && /Windows guests only/.test(el.wanOptionsReason), 'Linux: not offered, with the reason');
    el.osType = '';
    assert(el.wanOptionsOffered && /unknown/.test(el.wanOptionsReason), 'unknown OS: offered with a note');
    const plain = mount();
    assertEqual([plain.wanOptions, plain.colorDepth, plain.disableEffects, plain.clipboard], [false, 16, ['animation'], 'both'], "defaults (oVirt's)");
  });

  it('hands the options over at connect, reports the agent, and sends a new DISPLAY_CONFIG on a change', async () => {
    const el = new SpiceConsole(fakeEngine);
    el.setAttribute('wan-options', '');
    el.setAttribute('disable-effects', 'all');
    el.setAttribute('os-type', 'windows');
    document.body.append(el);
    const first = nextEvent<any>(el, 'spice-display-config');
    await connected(el);
    assertEqual(await first, { flags: 15, depth: 16, effects: ['wallpaper', 'font-smooth', 'animation'], sent: true }, 'first config');
    assert(el.agentConnected && el.hasAttribute('agent-connected'), 'agent-connected reflected');
    assertEqual(el.agentCaps, ['clipboard-by-demand', 'display-config'], 'agentCaps');
    assertEqual(
      (await calls(el))[0],
      { name: 'connect', args: { wan: { wanOptions: true, colorDepth: 16, disableEffects: ['all'], osType: 'windows' }, clipboard: 'both' } },
      'connect options',
    );
    const next = nextEvent<any>(el, 'spice-display-config');
    el.colorDepth = 32;
    el.disableEffects = ['font-smooth'];
    assertEqual(await next, { flags: 10, depth: 32, effects: ['font-smooth'], sent: true }, 'changed config');
    el.clipboard = 'off';
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 50));
    const c = await calls(el);
    assertEqual(c.filter((x) => x.name === 'setWanOptions').length, 1, 'one setWanOptions for both changes');
    assertEqual(c.at(-1), { name: 'setClipboardPolicy', args: 'off' }, 'policy change');
    await el.disconnect();
    assert(!el.agentConnected && el.agentCaps.length === 0, 'agent state cleared on disconnect');
  });

  it('clipboard calls and events', async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    await connected(el);
    const ev = nextEvent<any>(el, 'spice-clipboard');
    await el.sendClipboardText('to the guest');
    assertEqual(await ev, { direction: 'to-guest', types: ['text/plain'], size: 12, kind: 'grab' }, 'spice-clipboard');
    assertEqual(await el.readGuestClipboard(), 'guest text', 'readGuestClipboard');
    const c = await calls(el);
    assertEqual(c.find((x) => x.name === 'offerClipboard')?.args, [{ mime: 'text/plain', text: 'to the guest' }], 'offered');
  });

  it("a paste event offers its text to the guest; a copy event on the console gets the guest's text", async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    await connected(el);
    const dt = new DataTransfer();
    dt.setData('text/plain', 'pasted text');
    const paste = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, composed: true, cancelable: true });
    el.dispatchEvent(paste);
    assert(paste.defaultPrevented, 'paste taken by the console');
    await new Promise((r) => setTimeout(r, 100));
    assertEqual((await calls(el)).filter((x) => x.name === 'offerClipboard').at(-1)?.args, [{ mime: 'text/plain', text: 'pasted text' }], 'pasted text offered');
    await (el as any).engine.api.guestGrab();
    await new Promise((r) => setTimeout(r, 200));
    assert(
      (await calls(el)).some((x) => x.name === 'readGuestClipboard'),
      'guest text fetched after its grab',
    );
    const out = new DataTransfer();
    const copy = new ClipboardEvent('copy', { clipboardData: out, bubbles: true, composed: true, cancelable: true });
    el.dispatchEvent(copy);
    assert(copy.defaultPrevented, 'copy served by the console');
    assertEqual(out.getData('text/plain'), 'guest text', 'copy event carries the guest text');
    el.clipboard = 'to-guest';
    await el.updateComplete;
    const blocked = new DataTransfer();
    const copy2 = new ClipboardEvent('copy', { clipboardData: blocked, bubbles: true, composed: true, cancelable: true });
    el.dispatchEvent(copy2);
    assert(!copy2.defaultPrevented && blocked.getData('text/plain') === '', 'policy to-guest: nothing leaves the guest');
  });

  it("a paste shortcut in the console offers the page's clipboard first, then sends its keys", async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    await connected(el);
    el.focus();
    const key = (type: string, code: string, init: KeyboardEventInit = {}) => {
      const e = new KeyboardEvent(type, { code, key: code, bubbles: true, composed: true, cancelable: true, ...init });
      el.dispatchEvent(e);
      return e;
    };
    const keys = async () => (await calls(el)).filter((x) => x.name === 'key' || x.name === 'offerClipboard').map((x) => (x.name === 'key' ? x.args : 'offer'));
    const before = (await keys()).length;
    key('keydown', 'ControlLeft', { ctrlKey: true });
    const v = key('keydown', 'KeyV', { ctrlKey: true });
    assert(!v.defaultPrevented, 'Ctrl+V keeps its browser action (the paste event)');
    key('keyup', 'KeyV', { ctrlKey: true });
    key('keyup', 'ControlLeft');
    await new Promise((r) => setTimeout(r, 60));
    // What the browser does after an unprevented Ctrl+V: a paste event on the focused console.
    const dt = new DataTransfer();
    dt.setData('text/plain', 'from my computer');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, composed: true, cancelable: true }));
    await new Promise((r) => setTimeout(r, 150));
    assertEqual((await keys()).slice(before), ['down 1d', 'offer', 'down 2f', 'up 2f', 'up 1d'], 'Ctrl, the offer, then V');

    // Firefox fires the paste event at the body, not at the focused console: it is the console's all the same.
    const f = (await keys()).length;
    const page: string[] = [];
    const pageListener = () => page.push('paste');
    document.body.addEventListener('paste', pageListener);
    key('keydown', 'KeyV', { ctrlKey: true });
    key('keyup', 'KeyV', { ctrlKey: true });
    const dt2 = new DataTransfer();
    dt2.setData('text/plain', 'pasted at the body');
    const bodyPaste = new ClipboardEvent('paste', { clipboardData: dt2, bubbles: true, composed: true, cancelable: true });
    document.body.dispatchEvent(bodyPaste);
    document.body.removeEventListener('paste', pageListener);
    assert(bodyPaste.defaultPrevented, 'taken by the console');
    await new Promise((r) => setTimeout(r, 150));
    assertEqual((await keys()).slice(f), ['offer', 'down 2f', 'up 2f'], 'the offer, then V');
    assertEqual(
      (await calls(el)).filter((x) => x.name === 'offerClipboard').at(-1)?.args,
      [{ mime: 'text/plain', text: 'pasted at the body' }],
      'the body paste offered',
    );
    assertEqual(page, [], 'handled once, by the console');
    // With no paste shortcut pending, a paste elsewhere in the page is the page's.
    const dt3 = new DataTransfer();
    dt3.setData('text/plain', 'not for the guest');
    const elsewhere = new ClipboardEvent('paste', { clipboardData: dt3, bubbles: true, composed: true, cancelable: true });
    document.body.dispatchEvent(elsewhere);
    assert(!elsewhere.defaultPrevented, 'a paste outside the console stays the page’s');

    // No paste event (a browser that fires none): the keys go on after a short wait.
    const n = (await keys()).length;
    key('keydown', 'ShiftLeft', { shiftKey: true });
    assert(!key('keydown', 'Insert', { shiftKey: true }).defaultPrevented, 'Shift+Insert keeps its browser action');
    key('keyup', 'Insert', { shiftKey: true });
    key('keyup', 'ShiftLeft');
    await new Promise((r) => setTimeout(r, 400));
    assertEqual((await keys()).slice(n), ['down 2a', 'down 152', 'up 152', 'up 2a'], 'Shift+Insert without a paste event');

    // Clipboard policy from-guest: nothing is offered, Ctrl+V is an ordinary key, sent at once.
    el.clipboard = 'from-guest';
    await el.updateComplete;
    const m = (await keys()).length;
    key('keydown', 'ControlLeft', { ctrlKey: true });
    assert(key('keydown', 'KeyV', { ctrlKey: true }).defaultPrevented, 'policy from-guest: Ctrl+V goes to the guest only');
    key('keyup', 'KeyV', { ctrlKey: true });
    key('keyup', 'ControlLeft');
    await new Promise((r) => setTimeout(r, 60));
    assertEqual((await keys()).slice(m), ['down 1d', 'down 2f', 'up 2f', 'up 1d'], 'keys at once');
  });

  it('a dropped file goes to the engine; a refused one is reported', async () => {
    const el = new SpiceConsole(fakeEngine);
    document.body.append(el);
    await connected(el);
    const dt = new DataTransfer();
    dt.items.add(new File(['hello'], 'a.txt'));
    const over = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true });
    el.dispatchEvent(over);
    assert(over.defaultPrevented, 'dragover accepted while the agent takes files');
    const done = nextEvent<any>(el, 'spice-file-transfer');
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
    assertEqual(await done, { id: 1, name: 'a.txt', size: 5, sent: 5, state: 'success', status: 'success' }, 'transfer event');
    assertEqual((await calls(el)).find((x) => x.name === 'sendFile')?.args, { name: 'a.txt', size: 5, text: 'hello' }, 'file crossed to the worker');
    const refused = nextEvent<any>(el, 'spice-file-transfer');
    let code = '';
    try {
      await el.sendFiles([new File(['x'], 'refuse.txt')]);
    } catch (e) {
      code = (e as { code: string }).code;
    }
    assertEqual(code, 'file-transfer-disabled', 'sendFiles rejects with the code');
    assertEqual(
      await refused,
      { id: 0, name: 'refuse.txt', size: 1, sent: 0, state: 'error', status: 'file-transfer-disabled', error: 'the guest agent has file transfer disabled' },
      'refusal event',
    );
  });
});
