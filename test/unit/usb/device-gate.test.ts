import { describe, expect, it } from 'vitest';
import { DeviceGate } from '../../../src/usb/host/device-calls.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DeviceGate', () => {
  it('should start a transfer at once when nothing state-changing runs', () => {
    const gate = new DeviceGate();
    const started: string[] = [];
    void gate.io(async () => started.push('a'));
    expect(started).toEqual(['a']);
  });

  it('should hold transfers behind a state-changing call, then start them in the order issued, later ones too', async () => {
    const gate = new DeviceGate();
    const log: string[] = [];
    let finishReset!: () => void;
    void gate.exclusive(
      () =>
        new Promise<void>((r) => {
          log.push('reset');
          finishReset = () => {
            log.push('reset done');
            r();
          };
        }),
    );
    void gate.io(async () => log.push('t1'));
    void gate.io(async () => log.push('t2'));
    await tick();
    expect(log).toEqual(['reset']);
    finishReset();
    // Issued while t1 and t2 still wait: it must not overtake them.
    void gate.io(async () => log.push('t3'));
    await tick();
    expect(log).toEqual(['reset', 'reset done', 't1', 't2', 't3']);
    void gate.io(async () => log.push('t4'));
    expect(log.at(-1)).toBe('t4'); // nothing waits any more: straight through
  });

  it('should turn a transfer that throws at once into a rejection', async () => {
    const gate = new DeviceGate();
    await expect(
      gate.io(() => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
  });
});
