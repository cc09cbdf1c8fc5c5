/**
 * InGate: backpressure from the link to the device. What the host reads from the device goes to the guest
 * through a sink (the usbredir channel's WebSocket) that may drain slower than the device produces. While
 * the sink's backlog is above `maxBacklog`, no new IN transfer starts: bulk IN requests wait and receiving
 * streams pause, each registering how to go on; a poll every `pollMs` resumes them all once the backlog is
 * back under the bound. Transfers already in flight finish and what they read is sent, so the backlog is
 * bounded by the bound plus one round of transfers. Without a timer (`later`) the gate stays open.
 */
export class InGate {
  private readonly waiting = new Map<string, () => void>();
  private polling = false;
  /** How many times a transfer was held back (for tests and diagnostics). */
  pauses = 0;

  constructor(
    private readonly backlog: () => number,
    private readonly maxBacklog: number,
    private readonly later: ((fn: () => void, ms: number) => void) | undefined,
    private readonly pollMs = 10,
  ) {}

  /**
   * True when an IN transfer may start now. Otherwise `resume` is kept under `key` (one per queue or
   * stream: a later call with the same key replaces it) and called once the backlog has drained.
   */
  open(key: string, resume: () => void): boolean {
    if (!this.later || this.backlog() <= this.maxBacklog) return true;
    if (!this.waiting.has(key)) this.pauses++;
    this.waiting.set(key, resume);
    this.poll();
    return false;
  }

  /** Forgets every waiting resume (the host ended). */
  clear(): void {
    this.waiting.clear();
  }

  private poll(): void {
    if (this.polling || !this.later) return;
    this.polling = true;
    this.later(() => {
      this.polling = false;
      if (!this.waiting.size) return;
      if (this.backlog() > this.maxBacklog) return this.poll();
      const resumes = [...this.waiting.values()];
      this.waiting.clear();
      for (const resume of resumes) resume();
    }, this.pollMs);
  }
}
