/**
 * MainChannel: the session's first channel. It reads INIT (session id, mouse modes, agent state),
 * asks for the channel list (ATTACH_CHANNELS), reports the initial CHANNELS_LIST and every later single
 * addition to its session, owns the mouse mode (INIT, MOUSE_MODE → `mouse-mode` events; client mode asked
 * for when offered; MOUSE_MODE_REQUEST on the page's wish), and carries the agent: connection state
 * (AGENT_CONNECTED[_TOKENS], AGENT_DISCONNECTED; AGENT_START sent on connect), tokens (AGENT_TOKEN) and
 * AGENT_DATA both ways, which the session's agent (src/engine/agent.ts) speaks.
 */
import type { MouseModeName } from '../../api/types.js';
import { ChannelType, MainCap, MainMsg, MainMsgc, MouseMode } from '../../protocol/constants.js';
import { check } from '../../protocol/errors.js';
import {
  parseChannelsList,
  parseMainInit,
  parseMouseMode,
  parseName,
  parseU32,
  parseUuid,
  writeAgentStart,
  writeMouseModeRequest,
  type ChannelId,
  type MainInit,
} from '../../protocol/main.js';
import { Channel } from '../channel.js';
import type { ChannelContext } from '../channel-context.js';

/** What the main channel tells its session (which keeps the channel table and the session facts). */
export interface MainChannelEvents {
  init(init: MainInit): void;
  channelsList(channels: ChannelId[], initial: boolean): void;
  /** The agent came (with the tokens the client may spend; null: plain AGENT_CONNECTED, the count stays) or went. */
  agent(connected: boolean, tokens: number | null): void;
  /** AGENT_TOKEN (`grant`: more tokens) or AGENT_CONNECTED_TOKENS for an agent already up (the count). */
  agentTokens(tokens: number, grant: boolean): void;
  /** One AGENT_DATA body: a slice of the agent stream. */
  agentData(body: Uint8Array): void;
  identity(facts: { name?: string; uuid?: string }): void;
}

/** Tokens we grant the server for agent → client data: unlimited, as spice-gtk does. */
const AGENT_TOKENS_TO_SERVER = 0xffffffff;

export function mouseModeNames(mask: number): MouseModeName[] {
  const out: MouseModeName[] = [];
  if (mask & MouseMode.Server) out.push('server');
  if (mask & MouseMode.Client) out.push('client');
  return out;
}

export class MainChannel extends Channel {
  private initReceived = false;
  private listReceived = false;
  agentConnected = false;
  /** Tokens as the server last stated them (INIT, AGENT_CONNECTED_TOKENS, + AGENT_TOKEN); the agent's send queue spends them. */
  agentTokens = 0;
  /** The current mouse mode and the ones the server supports (from INIT, then MOUSE_MODE). */
  mouse: { mode: MouseModeName; supported: MouseModeName[] } = { mode: 'server', supported: [] };

  /** `ctx.sessionId` is 0: the main channel's link is what creates the session. */
  constructor(
    ctx: ChannelContext,
    private readonly events: MainChannelEvents,
  ) {
    super(ctx, ChannelType.Main, 0);
  }

  /** MOUSE_MODE_REQUEST for a mode the server supports; it answers with MOUSE_MODE if the mode changes. */
  requestMouseMode(mode: MouseModeName): void {
    if (!this.initReceived || !this.mouse.supported.includes(mode)) return;
    this.send(MainMsgc.MouseModeRequest, writeMouseModeRequest(mode === 'client' ? MouseMode.Client : MouseMode.Server));
  }

  protected channelCaps(): number[] {
    return [MainCap.NameAndUuid, MainCap.AgentConnectedTokens];
  }

  protected handleMessage(type: number, body: Uint8Array): void {
    switch (type) {
      case MainMsg.Init:
        return this.onInit(body);
      case MainMsg.ChannelsList: {
        check(this.initReceived, 'CHANNELS_LIST before INIT');
        const initial = !this.listReceived;
        this.listReceived = true;
        return this.events.channelsList(parseChannelsList(body), initial);
      }
      case MainMsg.MouseMode: {
        const m = parseMouseMode(body);
        this.mouse = { mode: m.current === MouseMode.Client ? 'client' : 'server', supported: mouseModeNames(m.supported) };
        return this.ctx.emit({ type: 'mouse-mode', ...this.mouse });
      }
      case MainMsg.AgentConnected:
        return this.agentUp(null);
      case MainMsg.AgentConnectedTokens:
        return this.agentUp(parseU32(body));
      case MainMsg.AgentDisconnected:
        parseU32(body);
        if (!this.agentConnected) return;
        this.agentConnected = false;
        return this.events.agent(false, 0);
      case MainMsg.AgentToken: {
        const n = parseU32(body);
        this.agentTokens = Math.min(this.agentTokens + n, 0xffffffff);
        return this.events.agentTokens(n, true);
      }
      case MainMsg.AgentData:
        return this.events.agentData(body);
      case MainMsg.Name:
        return this.events.identity({ name: parseName(body) });
      case MainMsg.Uuid:
        return this.events.identity({ uuid: parseUuid(body) });
      case MainMsg.MultiMediaTime:
        parseU32(body);
        return;
      case MainMsg.MigrateBegin:
      case MainMsg.MigrateBeginSeamless:
      case MainMsg.MigrateSwitchHost:
        this.log('warn', 'the server announced a migration; this client does not follow migrations yet');
        return;
      default:
        return this.logUnknown(type, body);
    }
  }

  private onInit(body: Uint8Array): void {
    check(!this.initReceived, 'a second MAIN_INIT');
    const init = parseMainInit(body);
    this.initReceived = true;
    this.agentTokens = init.agentTokens;
    this.mouse = { mode: init.currentMouseMode === MouseMode.Client ? 'client' : 'server', supported: mouseModeNames(init.supportedMouseModes) };
    this.events.init(init);
    if (init.agentConnected) this.agentUp(init.agentTokens);
    this.send(MainMsgc.AttachChannels);
    if (init.supportedMouseModes & MouseMode.Client && init.currentMouseMode !== MouseMode.Client) {
      this.send(MainMsgc.MouseModeRequest, writeMouseModeRequest(MouseMode.Client));
    }
  }

  /** AGENT_DATA to the agent; the caller spends one token per body (src/agent/send-queue.ts). */
  sendAgentData(body: Uint8Array): void {
    this.send(MainMsgc.AgentData, body);
  }

  private agentUp(tokens: number | null): void {
    if (tokens !== null) this.agentTokens = tokens;
    if (this.agentConnected) return tokens === null ? undefined : this.events.agentTokens(tokens, false);
    this.agentConnected = true;
    this.send(MainMsgc.AgentStart, writeAgentStart(AGENT_TOKENS_TO_SERVER));
    this.events.agent(true, tokens);
  }
}
