/**
 * The display channel's draw commands (COPY_BITS and DRAW_FILL through DRAW_TEXT), each as its parser and
 * what it does to a surface: the images it needs, which the caller resolves (and may wait for, when a
 * decoder is asynchronous), then the pixels it changes with them. Pure: no channel, presenter or timing, so
 * the display channel and the fuzz targets apply commands by the same code.
 *
 * A source image that is the target surface itself (SPICE_IMAGE_TYPE_SURFACE naming it) is read from a
 * snapshot, since source and destination rectangles may overlap.
 */
import { AlphaFlags, DisplayMsg, MaskFlags } from '../protocol/constants.js';
import * as msg from '../protocol/display.js';
import type { Brush, DisplayBase, QMask, SpiceImage } from '../protocol/display.js';
import { Ropd } from './rop.js';
import { strokeDashes } from './stroke.js';
import type { Mask, Paint, PixelSource, Surface } from './surface.js';

/** A parsed draw command, ready to apply once its images are resolved. */
export interface ParsedDraw {
  base: DisplayBase;
  /**
   * The images to resolve, in the order `apply` receives them (null where the command has none). The first
   * may decode into the resolver's scratch buffer: `apply` must run before anything else decodes.
   */
  images: (SpiceImage | null)[];
  /** Changes `surface` (the one `base.surfaceId` names); false when there was nothing to draw with. */
  apply(surface: Surface, sources: readonly (PixelSource | null)[]): boolean;
}

type DrawParser = (body: Uint8Array) => ParsedDraw;

function mask(q: QMask, source: PixelSource | null | undefined): Mask | null {
  return source ? { source, pos: q.pos, invert: (q.flags & MaskFlags.Invers) !== 0 } : null;
}

function paint(brush: Brush, surface: Surface, pattern: PixelSource | null | undefined): Paint | null {
  if (brush.type === 'solid') return { kind: 'solid', color: surface.color(brush.color) };
  if (brush.type === 'pattern' && pattern) return { kind: 'pattern', source: pattern, pos: brush.pos };
  return null;
}

function pattern(brush: Brush): SpiceImage | null {
  return brush.type === 'pattern' ? brush.pattern : null;
}

/** The source to read from: a snapshot when it is the target surface itself. */
function readable(source: PixelSource, surface: Surface): PixelSource {
  return source.words === surface.words ? surface.snapshot() : source;
}

function copyBits(m: msg.CopyBits): ParsedDraw {
  return {
    base: m.base,
    images: [],
    apply: (surface) => {
      surface.copyBits(m.srcPos, m.base.box, m.base.clip);
      return true;
    },
  };
}

function fill(m: msg.DrawFill): ParsedDraw {
  return {
    base: m.base,
    images: [pattern(m.brush), m.mask.bitmap],
    apply: (surface, [patternSrc, maskSrc]) => {
      const p = paint(m.brush, surface, patternSrc);
      if (!p) return false;
      const mk = mask(m.mask, maskSrc);
      if (p.kind === 'solid' && !mk && (m.rop === Ropd.OpPut || m.rop === 0)) surface.fillSolid(m.base.box, m.base.clip, p.color);
      else surface.fill(m.base.box, m.base.clip, p, m.rop, mk);
      return true;
    },
  };
}

/** DRAW_COPY and DRAW_BLEND (the same message; BLEND's rop mixes with the destination). */
function copy(m: msg.DrawCopy): ParsedDraw {
  return {
    base: m.base,
    images: [m.src, m.mask.bitmap],
    apply: (surface, [src, maskSrc]) => {
      if (!src) return false;
      surface.copy(readable(src, surface), m.srcArea, m.base.box, m.base.clip, m.rop, m.scaleMode, mask(m.mask, maskSrc), 'src');
      return true;
    },
  };
}

function opaque(m: msg.DrawOpaque): ParsedDraw {
  return {
    base: m.base,
    images: [m.src, pattern(m.brush), m.mask.bitmap],
    apply: (surface, [src, patternSrc, maskSrc]) => {
      const p = paint(m.brush, surface, patternSrc);
      const mk = mask(m.mask, maskSrc);
      if (p) surface.fill(m.base.box, m.base.clip, p, Ropd.OpPut, mk);
      if (src) surface.copy(readable(src, surface), m.srcArea, m.base.box, m.base.clip, m.rop, m.scaleMode, mk);
      return true;
    },
  };
}

/** DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS: `op` through the mask, no source. */
function maskOnly(op: number): DrawParser {
  return (body) => {
    const m = msg.parseDrawMaskOnly(body);
    return {
      base: m.base,
      images: [m.mask.bitmap],
      apply: (surface, [maskSrc]) => {
        surface.fill(m.base.box, m.base.clip, { kind: 'solid', color: 0 }, op, mask(m.mask, maskSrc));
        return true;
      },
    };
  };
}

function rop3(m: msg.DrawRop3): ParsedDraw {
  return {
    base: m.base,
    images: [m.src, pattern(m.brush), m.mask.bitmap],
    apply: (surface, [src, patternSrc, maskSrc]) => {
      if (!src) return false;
      const p = paint(m.brush, surface, patternSrc) ?? { kind: 'solid', color: 0 };
      surface.rop3(readable(src, surface), m.srcArea, m.base.box, m.base.clip, p, m.rop3, mask(m.mask, maskSrc));
      return true;
    },
  };
}

function transparent(m: msg.DrawTransparent): ParsedDraw {
  return {
    base: m.base,
    images: [m.src],
    apply: (surface, [src]) => {
      if (!src) return false;
      surface.transparent(readable(src, surface), m.srcArea, m.base.box, m.base.clip, m.srcColor);
      return true;
    },
  };
}

function alphaBlend(m: msg.DrawAlphaBlend): ParsedDraw {
  return {
    base: m.base,
    images: [m.src],
    apply: (surface, [src]) => {
      if (!src) return false;
      const hasAlpha = (m.alphaFlags & AlphaFlags.SrcSurfaceHasAlpha) !== 0 || src.hasAlpha;
      surface.alphaBlend(readable(src, surface), m.srcArea, m.base.box, m.base.clip, m.alpha, hasAlpha);
      return true;
    },
  };
}

/** Cosmetic one-pixel lines, dashed when styled, as spice-common's canvas strokes (stroke.ts). */
function stroke(m: msg.DrawStroke): ParsedDraw {
  return {
    base: m.base,
    images: [pattern(m.brush)],
    apply: (surface, [patternSrc]) => {
      const p = paint(m.brush, surface, patternSrc);
      if (!p) return false;
      surface.stroke(m.path, strokeDashes(m.lineFlags, m.style), m.base.clip, m.base.box, p, m.foreMode);
      return true;
    },
  };
}

function text(m: msg.DrawText): ParsedDraw {
  return {
    base: m.base,
    images: [pattern(m.foreBrush), pattern(m.backBrush)],
    apply: (surface, [forePattern, backPattern]) => {
      const back = paint(m.backBrush, surface, backPattern);
      if (back && m.backArea.right > m.backArea.left) surface.fill(m.backArea, m.base.clip, back, m.backMode || Ropd.OpPut, null);
      const fore = paint(m.foreBrush, surface, forePattern);
      if (!fore) return back !== null;
      for (const g of m.glyphs) {
        const x = g.renderPos.x + g.glyphOrigin.x;
        const y = g.renderPos.y + g.glyphOrigin.y;
        surface.glyph(x, y, g.width, g.height, m.bpp, g.data, m.base.box, m.base.clip, fore, m.foreMode || Ropd.OpPut);
      }
      return true;
    },
  };
}

/** Every draw command by message type: its parser, returning the command ready to apply. */
export const DRAW_COMMANDS: ReadonlyMap<number, DrawParser> = new Map<number, DrawParser>([
  [DisplayMsg.CopyBits, (b) => copyBits(msg.parseCopyBits(b))],
  [DisplayMsg.DrawFill, (b) => fill(msg.parseDrawFill(b))],
  [DisplayMsg.DrawOpaque, (b) => opaque(msg.parseDrawOpaque(b))],
  [DisplayMsg.DrawCopy, (b) => copy(msg.parseDrawCopy(b))],
  [DisplayMsg.DrawBlend, (b) => copy(msg.parseDrawCopy(b))],
  [DisplayMsg.DrawBlackness, maskOnly(Ropd.OpBlackness)],
  [DisplayMsg.DrawWhiteness, maskOnly(Ropd.OpWhiteness)],
  [DisplayMsg.DrawInvers, maskOnly(Ropd.OpInvers)],
  [DisplayMsg.DrawRop3, (b) => rop3(msg.parseDrawRop3(b))],
  [DisplayMsg.DrawTransparent, (b) => transparent(msg.parseDrawTransparent(b))],
  [DisplayMsg.DrawAlphaBlend, (b) => alphaBlend(msg.parseDrawAlphaBlend(b))],
  [DisplayMsg.DrawStroke, (b) => stroke(msg.parseDrawStroke(b))],
  [DisplayMsg.DrawText, (b) => text(msg.parseDrawText(b))],
]);
