import { beforeEach, describe, expect, it } from 'vitest';
import { countBytesIn, countBytesOut, countDisplayWork, motionAcked, motionSent, resetSessionStats, sessionStats } from '../../../src/engine/session-stats.js';

describe('session statistics', () => {
  beforeEach(() => resetSessionStats());

  it('should add up bytes and display work, and reset', () => {
    countBytesIn(100);
    countBytesIn(50);
    countBytesOut(7);
    countDisplayWork(2.5);
    countDisplayWork(1.5);
    expect(sessionStats(3)).toMatchObject({ bytesIn: 150, bytesOut: 7, frames: 3, displayBusyMs: 4, displayMessages: 2, roundTripMs: null });
    resetSessionStats();
    expect(sessionStats(0)).toMatchObject({ bytesIn: 0, bytesOut: 0, displayBusyMs: 0, roundTripMs: null });
  });

  it('should time the round trip from the bunch-th motion message to its ack, smoothed', () => {
    for (const t of [0, 10, 20, 30, 40, 50, 60, 70]) motionSent(t);
    motionAcked(4, 80); // answers the message sent at 30
    expect(sessionStats(0).roundTripMs).toBe(50);
    motionAcked(4, 140); // answers 70: sample 70, smoothed 0.7·50 + 0.3·70
    expect(sessionStats(0).roundTripMs).toBeCloseTo(56, 6);
    motionAcked(4, 200); // nothing outstanding: no sample
    expect(sessionStats(0).roundTripMs).toBeCloseTo(56, 6);
  });
});
