/**
 * The calls every fake engine worker of the browser tests answers the same way (disconnect sends the clean
 * `disconnected`, no sockets, input ignored, no screenshot or stats). A fake spreads these into its engine
 * object and writes only the calls its test is about.
 */
import type { EngineEventSink } from '../../src/api/engine-api.js';

export function idleEngineCalls(sink: () => EngineEventSink) {
  return {
    async disconnect(): Promise<void> {
      sink()({ type: 'disconnected', code: 'client', reason: 'disconnected by the client', clean: true });
    },
    async openSockets(): Promise<number> {
      return 0;
    },
    async input(): Promise<void> {},
    async sendKeys(): Promise<void> {},
    async releaseAll(): Promise<void> {},
    async requestMouseMode(): Promise<void> {},
    async screenshot() {
      return null;
    },
    async displayStats() {
      return [];
    },
  };
}
