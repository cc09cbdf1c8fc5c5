/**
 * ReconnectController: decides whether and when a `<spice-console>` opens its session again after it ended
 * by itself (a dropped network, a server restart, a migration the client cannot follow). It owns the
 * backoff — exponential, with jitter, capped, and a limit on attempts — and the one pending timer. It never
 * retries after an end the user or the server meant: `client` (disconnect() or the element left the
 * page), `auth-failed` (a new attempt would fail the same way and may lock the account) and `unsupported`.
 * A session that got connected resets the count. The host does the connecting; this only schedules it.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { DisconnectCode } from '../api/types.js';

export interface ReconnectPolicy {
  /** Delay before the first attempt, ms. */
  baseDelayMs: number;
  /** No delay is longer than this, ms (before jitter is taken off). */
  maxDelayMs: number;
  /** Give up after this many attempts in a row without a connected session (0: never give up). */
  maxAttempts: number;
  /** Each attempt waits this many times longer than the one before. */
  factor: number;
  /** Share of a delay taken off at random (0…1), so many consoles do not come back in lockstep. */
  jitter: number;
}

export const defaultReconnectPolicy: Readonly<ReconnectPolicy> = Object.freeze({
  baseDelayMs: 1000,
  maxDelayMs: 30000,
  maxAttempts: 12,
  factor: 2,
  jitter: 0.3,
});

/** Ends after which a new attempt would be pointless or unwanted. */
const FINAL_CODES: ReadonlySet<DisconnectCode> = new Set<DisconnectCode>(['client', 'auth-failed', 'unsupported']);

export function isRetryable(code: DisconnectCode): boolean {
  return !FINAL_CODES.has(code);
}

/**
 * Delay before attempt `attempt` (1-based): base·factor^(attempt-1), capped at maxDelayMs, minus up to
 * `jitter` of it at random. `random` returns [0, 1).
 */
export function reconnectDelay(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  const raw = policy.baseDelayMs * Math.pow(policy.factor, Math.max(0, attempt - 1));
  const capped = Math.min(policy.maxDelayMs, raw);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(capped * (1 - jitter * random()));
}

export interface ReconnectPlan {
  attempt: number;
  delayMs: number;
  /** When the attempt starts (Date.now() clock), for countdowns. */
  at: number;
}

export type ReconnectDecision = { kind: 'scheduled'; plan: ReconnectPlan } | { kind: 'final'; why: 'off' | 'not-retryable' | 'gave-up' };

export interface ReconnectOptions {
  /** Whether reconnecting is on now (the `reconnect` or `kiosk` attribute). */
  enabled(): boolean;
  /** Opens the session again. */
  reconnect(plan: ReconnectPlan): void;
  policy?: Partial<ReconnectPolicy>;
  random?: () => number;
  /** Timer functions, replaceable by tests. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class ReconnectController implements ReactiveController {
  /** Attempts made since the last connected session. */
  private attempts = 0;
  private timer: unknown = null;
  private pending: ReconnectPlan | null = null;
  policy: ReconnectPolicy;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: ReconnectOptions,
  ) {
    this.policy = { ...defaultReconnectPolicy, ...options.policy };
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    host.addController(this);
  }

  /** The attempt waiting for its timer, or null. */
  get scheduled(): ReconnectPlan | null {
    return this.pending;
  }

  /** The session came up: the next drop starts again from the first, shortest delay. */
  connected(): void {
    this.attempts = 0;
  }

  /** The session ended with `code`: schedules the next attempt, or says why there is none. */
  ended(code: DisconnectCode): ReconnectDecision {
    this.cancel();
    if (!this.options.enabled()) return { kind: 'final', why: 'off' };
    if (!isRetryable(code)) {
      this.attempts = 0;
      return { kind: 'final', why: 'not-retryable' };
    }
    if (this.policy.maxAttempts > 0 && this.attempts >= this.policy.maxAttempts) {
      this.attempts = 0;
      return { kind: 'final', why: 'gave-up' };
    }
    const attempt = ++this.attempts;
    const delayMs = reconnectDelay(attempt, this.policy, this.options.random);
    const plan: ReconnectPlan = { attempt, delayMs, at: Date.now() + delayMs };
    this.pending = plan;
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.pending = null;
      this.options.reconnect(plan);
    }, delayMs);
    return { kind: 'scheduled', plan };
  }

  /** Drops a pending attempt (the user connected or disconnected, or reconnect was turned off). */
  cancel(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.pending = null;
  }

  /** The user took over (connect() or disconnect()): forget past attempts too. */
  reset(): void {
    this.cancel();
    this.attempts = 0;
  }

  hostDisconnected(): void {
    this.reset();
  }
}
