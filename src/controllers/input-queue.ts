/**
 * InputQueue: the page's one path for input to the engine. Pointer motion is coalesced and sent once per
 * animation frame (the latest absolute position; relative deltas summed), everything else (keys, buttons,
 * wheel, lock state) goes out at once, after any motion still waiting, so the guest sees events in the
 * order the user made them and a click lands where the pointer is.
 */
import type { InputEvent } from '../api/input.js';

type Motion = Extract<InputEvent, { type: 'position' } | { type: 'motion' }>;

export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

const animationFrames: FrameScheduler = {
  request: (cb) => requestAnimationFrame(cb),
  cancel: (h) => cancelAnimationFrame(h),
};

export class InputQueue {
  private motion: Motion | null = null;
  private frame: number | null = null;

  constructor(
    private readonly send: (batch: InputEvent[]) => void,
    private readonly frames: FrameScheduler = animationFrames,
  ) {}

  /** Queues pointer motion for the next animation frame, merged with motion already waiting. */
  move(event: Motion): void {
    const pending = this.motion;
    if (pending && pending.type === 'motion' && event.type === 'motion') {
      this.motion = { type: 'motion', dx: pending.dx + event.dx, dy: pending.dy + event.dy };
    } else if (pending && pending.type !== event.type) {
      // Mouse mode changed between frames: what was waiting goes first, unmerged.
      this.flush();
      this.motion = event;
    } else {
      this.motion = event;
    }
    this.frame ??= this.frames.request(() => {
      this.frame = null;
      this.flush();
    });
  }

  /** Sends `events` now, after any motion still waiting. */
  push(...events: InputEvent[]): void {
    const batch: InputEvent[] = [];
    if (this.motion) batch.push(this.motion);
    this.motion = null;
    batch.push(...events);
    if (batch.length) this.send(batch);
  }

  /** Sends waiting motion now. */
  flush(): void {
    this.push();
  }

  /** Drops waiting motion and cancels the frame callback (session ended, element removed). */
  clear(): void {
    this.motion = null;
    if (this.frame !== null) this.frames.cancel(this.frame);
    this.frame = null;
  }
}
