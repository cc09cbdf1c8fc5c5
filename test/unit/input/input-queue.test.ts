import { describe, expect, it } from 'vitest';
import type { InputEvent } from '../../../src/api/input.js';
import { InputQueue, type FrameScheduler } from '../../../src/controllers/input-queue.js';

/** A frame scheduler the test runs by hand. */
function frames() {
  let next = 1;
  const pending = new Map<number, () => void>();
  const scheduler: FrameScheduler = {
    request: (cb) => {
      pending.set(next, cb);
      return next++;
    },
    cancel: (h) => pending.delete(h),
  };
  return {
    scheduler,
    get waiting() {
      return pending.size;
    },
    run() {
      const cbs = [...pending.values()];
      pending.clear();
      cbs.forEach((cb) => cb());
    },
  };
}

function queue() {
  const f = frames();
  const batches: InputEvent[][] = [];
  const q = new InputQueue((b) => batches.push(b), f.scheduler);
  return { q, f, batches };
}

describe('InputQueue', () => {
  it('should send pointer motion once per animation frame: the latest position', () => {
    const { q, f, batches } = queue();
    q.move({ type: 'position', x: 1, y: 1, displayId: 0 });
    q.move({ type: 'position', x: 2, y: 3, displayId: 0 });
    q.move({ type: 'position', x: 4, y: 5, displayId: 1 });
    expect(batches).toEqual([]);
    expect(f.waiting).toBe(1);
    f.run();
    expect(batches).toEqual([[{ type: 'position', x: 4, y: 5, displayId: 1 }]]);
    f.run();
    expect(batches).toHaveLength(1);
  });

  it('should sum relative motion within a frame', () => {
    const { q, f, batches } = queue();
    q.move({ type: 'motion', dx: 1.5, dy: -1 });
    q.move({ type: 'motion', dx: 2, dy: -3 });
    f.run();
    expect(batches).toEqual([[{ type: 'motion', dx: 3.5, dy: -4 }]]);
  });

  it('should send keys and buttons at once, after the motion still waiting, in one batch', () => {
    const { q, f, batches } = queue();
    q.move({ type: 'position', x: 7, y: 8, displayId: 0 });
    q.push({ type: 'button', button: 'left', down: true });
    q.push({ type: 'key', scancode: 0x1e, down: true }, { type: 'key', scancode: 0x1e, down: false });
    expect(batches).toEqual([
      [
        { type: 'position', x: 7, y: 8, displayId: 0 },
        { type: 'button', button: 'left', down: true },
      ],
      [
        { type: 'key', scancode: 0x1e, down: true },
        { type: 'key', scancode: 0x1e, down: false },
      ],
    ]);
    f.run();
    expect(batches).toHaveLength(2);
  });

  it('should not merge motion across a mouse mode change', () => {
    const { q, f, batches } = queue();
    q.move({ type: 'motion', dx: 1, dy: 1 });
    q.move({ type: 'position', x: 3, y: 3, displayId: 0 });
    f.run();
    expect(batches).toEqual([[{ type: 'motion', dx: 1, dy: 1 }], [{ type: 'position', x: 3, y: 3, displayId: 0 }]]);
  });

  it('should drop waiting motion and its frame on clear', () => {
    const { q, f, batches } = queue();
    q.move({ type: 'motion', dx: 1, dy: 1 });
    q.clear();
    expect(f.waiting).toBe(0);
    q.flush();
    expect(batches).toEqual([]);
  });
});
