/**
 * Page-side measurements of the session bench, the same for both clients: input delay of every key and
 * pointer button event, and apart from them of pointer moves (handler start minus the event's hardware timestamp, which is what the Event Timing API calls
 * input delay; Event Timing itself only reports events of 16 ms and more, so it is kept as a cross-check),
 * Long Tasks (50 ms and more, count and total), and a timer probe whose lateness bounds the longest task from
 * below at any length. `frames()` counts animation frames in which `markDrawn()` was called, and turns the
 * arrival stamps given to `arrived()` into arrival-to-frame delays: spice-html5's page uses both (it draws on
 * the main thread); our element's frames and delays come from its worker instead.
 */

export interface ProbeStats {
  /** Input delays (ms) of every keydown / keyup / pointerdown / pointerup since reset: the discrete events Event Timing covers. */
  inputDelays: number[];
  /**
   * Input delays (ms) of pointermove: Chromium dispatches continuous events (pointermove, mousemove, wheel) at the
   * next animation frame ("rAF-aligned input"), so up to one frame of their delay is the browser's batching,
   * whatever the page does; Event Timing leaves them out. Kept apart so that the two are not mixed.
   */
  moveDelays: number[];
  /** Event Timing entries of 16 ms and more: their input delays (ms). */
  eventTimingDelays: number[];
  longTasks: { count: number; totalMs: number; maxMs: number };
  /** Each long task: start (ms since reset) and duration, for finding what they coincide with. */
  longTaskList: { at: number; ms: number }[];
  /** Largest lateness (ms) of a 5 ms timer: the main thread was busy at least that long. */
  timerLatenessMaxMs: number;
  /** Frames in which something was drawn (markDrawn), and arrival-to-frame delays (ms). */
  drawnFrames: number;
  latencies: number[];
  /** Length of the window (ms). */
  windowMs: number;
}

export class Probe {
  private inputDelays: number[] = [];
  private moveDelays: number[] = [];
  private eventTimingDelays: number[] = [];
  private longTasks = { count: 0, totalMs: 0, maxMs: 0 };
  private longTaskList: { at: number; ms: number }[] = [];
  private timerLatenessMaxMs = 0;
  private drawnFrames = 0;
  private latencies: number[] = [];
  private pendingArrivals: number[] = [];
  private drawn = false;
  private start = performance.now();

  constructor() {
    const onInput = (e: Event): void => void this.inputDelays.push(performance.now() - e.timeStamp);
    for (const type of ['keydown', 'keyup', 'pointerdown', 'pointerup']) window.addEventListener(type, onInput, { capture: true });
    window.addEventListener('pointermove', (e) => void this.moveDelays.push(performance.now() - e.timeStamp), { capture: true });
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as PerformanceEventTiming[]) this.eventTimingDelays.push(e.processingStart - e.startTime);
      }).observe({ type: 'event', durationThreshold: 16 } as PerformanceObserverInit);
    } catch {
      /* no Event Timing */
    }
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          this.longTasks.count++;
          this.longTasks.totalMs += e.duration;
          this.longTasks.maxMs = Math.max(this.longTasks.maxMs, e.duration);
          if (this.longTaskList.length < 100) this.longTaskList.push({ at: Math.round(e.startTime - this.start), ms: Math.round(e.duration) });
        }
      }).observe({ type: 'longtask' });
    } catch {
      /* no Long Tasks */
    }
    const PERIOD = 5;
    let due = performance.now() + PERIOD;
    const tick = (): void => {
      const now = performance.now();
      this.timerLatenessMaxMs = Math.max(this.timerLatenessMaxMs, now - due);
      due = now + PERIOD;
      setTimeout(tick, PERIOD);
    };
    setTimeout(tick, PERIOD);
    const frame = (): void => {
      if (this.drawn) {
        this.drawn = false;
        this.drawnFrames++;
        const now = performance.now();
        for (const a of this.pendingArrivals) this.latencies.push(now - a);
        this.pendingArrivals.length = 0;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** A message arrived (performance.now()); its effect shows in the next frame with a draw. */
  arrived(at: number): void {
    if (this.pendingArrivals.length < 4096) this.pendingArrivals.push(at);
  }

  markDrawn(): void {
    this.drawn = true;
  }

  reset(): void {
    this.inputDelays = [];
    this.moveDelays = [];
    this.eventTimingDelays = [];
    this.longTasks = { count: 0, totalMs: 0, maxMs: 0 };
    this.longTaskList = [];
    this.timerLatenessMaxMs = 0;
    this.drawnFrames = 0;
    this.latencies = [];
    this.start = performance.now();
  }

  stats(): ProbeStats {
    return {
      inputDelays: this.inputDelays,
      moveDelays: this.moveDelays,
      eventTimingDelays: this.eventTimingDelays,
      longTasks: { ...this.longTasks },
      longTaskList: this.longTaskList,
      timerLatenessMaxMs: this.timerLatenessMaxMs,
      drawnFrames: this.drawnFrames,
      latencies: this.latencies,
      windowMs: performance.now() - this.start,
    };
  }
}

/** Epoch milliseconds on the clock shared by the page and its workers. */
export const epochNow = (): number => performance.timeOrigin + performance.now();
