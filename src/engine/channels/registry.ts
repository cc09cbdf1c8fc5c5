/**
 * Which class serves which SPICE channel type. A new channel implementation is one file under
 * channels/ and one entry here; types without an entry are linked as PassiveChannel (or not at all,
 * per ConnectOptions.linkChannelTypes). Every factory gets the session's ChannelContext and the channel id.
 */
import { ChannelType } from '../../protocol/constants.js';
import type { Channel } from '../channel.js';
import type { ChannelContext } from '../channel-context.js';
import { DisplayChannel } from './display-channel.js';
import { CursorChannel } from './cursor-channel.js';
import { InputsChannel } from './inputs-channel.js';
import { VideoStreams } from '../video-streams.js';
import { browserDecoders } from '../video-decoders.js';
import { UsbredirChannel } from './usbredir-channel.js';

export type ChannelFactory = (ctx: ChannelContext, id: number) => Channel;

export const channelFactories: Partial<Record<ChannelType, ChannelFactory>> = {
  [ChannelType.Display]: (ctx, id) => new DisplayChannel(ctx, id, (host) => new VideoStreams(host, { decoders: browserDecoders })),
  [ChannelType.Inputs]: (ctx, id) => new InputsChannel(ctx, id),
  [ChannelType.Cursor]: (ctx, id) => new CursorChannel(ctx, id),
  [ChannelType.Usbredir]: (ctx, id) => {
    if (!ctx.usb) throw new Error('usbredir channel without a USB manager');
    const channel = new UsbredirChannel(ctx, id, ctx.usb.channelEvents);
    ctx.usb.addChannel(channel);
    return channel;
  },
};
