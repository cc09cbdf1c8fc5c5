/**
 * A stand-in engine worker for the reconnect browser tests: speaks the EngineApi contract over comlink but
 * has no SPICE session. The URL says what happens: `?end=auth-failed` (or any DisconnectCode) ends the
 * session at once with that code; `?drop=<ms>` connects, then ends with `transport-closed` after <ms>.
 */
import { expose } from 'comlink';
import type { EngineEventSink } from '../../src/api/engine-api.js';
import type { ConnectOptions, DisconnectCode } from '../../src/api/types.js';
import { idleEngineCalls } from './fake-engine-base.js';

let sink: EngineEventSink = () => {};

const engine = {
  ...idleEngineCalls(() => sink),
  async connect(options: ConnectOptions, s: EngineEventSink): Promise<void> {
    sink = s;
    const params = new URL(options.url).searchParams;
    const end = params.get('end') as DisconnectCode | null;
    if (end) {
      sink({ type: 'disconnected', code: end, reason: `fake end: ${end}`, clean: end === 'client' });
      return;
    }
    sink({ type: 'state', state: 'connected' });
    sink({
      type: 'connected',
      session: { sessionId: 7, name: 'fake-vm', channels: [], displayChannelsHint: 1, mouseModes: ['client'], mouseMode: 'client', agentConnected: false },
    });
    const drop = Number(params.get('drop') ?? 0);
    if (drop > 0) setTimeout(() => sink({ type: 'disconnected', code: 'transport-closed', reason: 'fake network drop', clean: false }), drop);
  },
};

expose(engine);
