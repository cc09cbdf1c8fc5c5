/**
 * The limits of what this client accepts from a server, in one place. Each bounds memory or work that a
 * server (broken or hostile) could otherwise make the client spend: a value beyond one is refused with a
 * ProtocolError that names the limit (see `limitError`), which ends the session with code `protocol`, before
 * anything is allocated for it. Every value is far above what a real spice-server sends; the doc comment of
 * each says why it is where it is. Pure: no DOM, no worker globals.
 */
import { ProtocolError } from './errors.js';

const KiB = 1024;
const MiB = 1024 * 1024;

/** A ProtocolError saying that `what` exceeds `limit`, naming the constant: "... exceeds the limit of L (NAME)". */
export function limitError(what: string, limit: string | number, name: string): ProtocolError {
  return new ProtocolError(`${what} exceeds the limit of ${limit} (${name})`);
}

// ---------------------------------------------------------------------------------------------------------
// Wire

/**
 * Largest SPICE message body. An uncompressed 8K (7680x4320) 32-bit bitmap is 127 MiB; servers compress or
 * split anything near that, so 192 MiB admits every legitimate message while a hostile size field cannot make
 * the framer buffer gigabytes. Checked on the header, before the body is buffered.
 */
export const MAX_MESSAGE_SIZE = 192 * MiB;

/**
 * Largest SpiceLinkReply. spice-server refuses link messages above 4096 bytes itself; a reply is 178 bytes
 * plus a few capability words.
 */
export const MAX_LINK_REPLY_SIZE = 4 * KiB;

/**
 * Channels one session may have. spice-server offers a few dozen at most (one display per monitor head,
 * usbredir slots, ports); each channel is a WebSocket, so a CHANNELS_LIST beyond this is refused.
 */
export const MAX_CHANNELS = 256;

/**
 * Messages a channel holds behind one that decodes asynchronously (a JPEG, a GLZ image waiting for another
 * channel). The ACK window (SET_ACK, 20 to 40 messages from spice-server) keeps a real server far below;
 * a server that ignores ACKs must not grow the queue without bound.
 */
export const MAX_BACKLOG_MESSAGES = 4096;

// ---------------------------------------------------------------------------------------------------------
// Display

/**
 * Largest surface side, in pixels. QXL and virtio-gpu cap a primary surface at 8192 (16384 for the newest
 * drivers), and browsers cap a canvas side near 16384 / 32767; beyond this no canvas could show it.
 */
export const MAX_SURFACE_DIMENSION = 16384;

/**
 * All surfaces of one display channel together, in pixels (128 Mi pixels = 512 MiB of RGBA). Enough for an
 * 8K primary and its off-screen surfaces many times over; a server creating more is refused.
 */
export const MAX_SURFACE_PIXELS = 128 * MiB;

/** Largest side of one image a codec decodes: a source image is never larger than a surface. */
export const MAX_IMAGE_DIMENSION = MAX_SURFACE_DIMENSION;

/**
 * Largest single decoded image, in pixels (64 Mi pixels = 256 MiB of RGBA): bounds one allocation even when
 * both sides are near MAX_IMAGE_DIMENSION. An 8K frame is 33 Mi pixels.
 */
export const MAX_IMAGE_PIXELS = 64 * MiB;

/**
 * The pixmap cache size announced in DISPLAY_INIT (16 Mi pixels = 64 MiB of RGBA, the order of spice-gtk's
 * default). The server budgets against it and evicts with INVAL_LIST.
 */
export const PIXMAP_CACHE_PIXELS = 16 * MiB;

/**
 * How far the server may overrun the announced pixmap cache before it is refused: 25% plus a few pixels, for
 * the replace-then-evict order in which spice-server may send CACHE_ME and INVAL_LIST.
 */
export const PIXMAP_CACHE_SLACK = 1.25;

/**
 * Palettes held in the palette cache. spice-server keeps at most a few dozen (palette images are rare: 1, 4
 * and 8-bit guests); each is at most 1 KiB, so 4096 bound it to 4 MiB.
 */
export const MAX_PALETTE_CACHE_ENTRIES = 4096;

/** Entries of one palette: 8-bit indices address 256. */
export const MAX_PALETTE_ENTRIES = 256;

/**
 * The GLZ window announced in DISPLAY_INIT, in pixels (8 Mi pixels = 32 MiB): larger than any single image
 * of a 4K screen, so GLZ can reference the previous frame. The dictionary holds at most this besides the image
 * being decoded.
 */
export const GLZ_WINDOW_PIXELS = 8 * MiB;

/** Rectangles of one clip region: a real clip has a few dozen; each costs work on every draw. */
export const MAX_CLIP_RECTS = 65536;

/**
 * Overlapping rectangles one clip may have. Guest drivers send a clip as a region (disjoint rects, as pixman
 * and GDI build it); overlapping ones are merged into disjoint bands first, at a cost of n² log n, so more
 * than this are refused rather than merged (or drawn once per rect: a few hundred full-screen rects kept one
 * draw busy for minutes).
 */
export const MAX_OVERLAPPING_CLIP_RECTS = 1024;

/** Points of one stroke path, all segments together (1 Mi points = 8 MiB on the wire). */
export const MAX_PATH_POINTS = 1 * MiB;

/**
 * Pixels one DRAW_STROKE may step through, all its segments together: 8 Mi, a 4K screen's worth of one-pixel
 * lines and about half a second. A path of far-apart points crossing the screen again and again (1 Mi points
 * fit a message) is refused instead of keeping the display busy for minutes.
 */
export const MAX_STROKE_STEPS = 8 * MiB;

/** Largest cursor side: hardware cursors are 64x64, spice-server sends at most 512x512 (SPICE_MAX_CURSOR_SIZE). */
export const MAX_CURSOR_DIMENSION = 512;

// ---------------------------------------------------------------------------------------------------------
// Video streams

/** Largest video stream or frame side: a stream shows part of a surface (MAX_SURFACE_DIMENSION). */
export const MAX_STREAM_DIMENSION = MAX_SURFACE_DIMENSION;

/** Streams at once: spice-server numbers them below SPICE_MAX_NUM_STREAMS (64). */
export const MAX_STREAMS = 64;

/** Frames a video decoder may hold unanswered before new frames are dropped unseen (the frame queue). */
export const MAX_VIDEO_FRAMES_IN_FLIGHT = 4;

// ---------------------------------------------------------------------------------------------------------
// Agent and clipboard

/**
 * Largest clipboard content accepted from the guest, in bytes: spice-gtk's default max-clipboard (100 MB).
 * A larger grab is refused rather than buffered.
 */
export const MAX_CLIPBOARD_SIZE = 100 * MiB;

/**
 * Largest reassembled vd_agent message: the largest is a clipboard (MAX_CLIPBOARD_SIZE) plus its headers.
 * Checked on the VDAgentMessage header, before its chunks are buffered.
 */
export const MAX_AGENT_MESSAGE_SIZE = MAX_CLIPBOARD_SIZE + 4 * KiB;

// ---------------------------------------------------------------------------------------------------------
// USB redirection

/**
 * Largest usbredir packet (length field of its header): 32 MiB of data plus headers, far above what a guest
 * URB carries (usbredirparser's own ceiling is 128 MiB + 1 KiB).
 */
export const MAX_USBREDIR_PACKET_SIZE = 32 * MiB + KiB;

/** Largest SPICEVMC_COMPRESSED_DATA once inflated: 16 MiB, a usbredir packet sent in one message. */
export const MAX_SPICEVMC_UNCOMPRESSED = 16 * MiB;
