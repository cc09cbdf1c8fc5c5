/**
 * Every user-facing string of `<spice-console-options>` (labels, choices, notes, the kept-settings line), as
 * @lit/localize `msg()` calls with stable `options.*` ids. English is the source; translations live in
 * src/locales/<locale>.ts. Each function is called at render time, so the text follows the active locale.
 * Reasons passed in (why settings are not kept) come from the settings controller and stay English.
 */
import { msg, str } from '@lit/localize';
import type { ScaleMode } from '../input/viewport.js';
import type { ClipboardPolicy, DisableEffect, ImageCompressionChoice } from '../settings/settings-record.js';

export const optionsStrings = {
  title: () => msg('Console options', { id: 'options.title' }),
  close: () => msg('Close', { id: 'options.close' }),
  noConsole: () => msg('These options are not attached to a <spice-console> (set the for attribute to the console id)', { id: 'options.no-console' }),
  wan: () => msg('WAN', { id: 'options.wan' }),
  enableWan: () => msg('Enable WAN options', { id: 'options.enable-wan' }),
  wanNoteUnknownOs: () => msg("The VM's operating system is unknown: WAN options take effect on Windows guests only.", { id: 'options.wan-note-unknown-os' }),
  wanNoteOs: (os: string) => msg(str`WAN options take effect on Windows guests only (this VM runs ${os}).`, { id: 'options.wan-note-os' }),
  colorDepth: () => msg('Color depth', { id: 'options.color-depth' }),
  bits: (depth: number) => msg(str`${depth} bits`, { id: 'options.bits' }),
  disableEffects: () => msg('Disable effects', { id: 'options.disable-effects' }),
  scale: () => msg('Scale', { id: 'options.scale' }),
  imageCompression: () => msg('Image compression', { id: 'options.image-compression' }),
  compressionNote: () => msg('Image compression takes effect at the next connection.', { id: 'options.compression-note' }),
  clipboard: () => msg('Clipboard', { id: 'options.clipboard' }),
  keptForVm: () => msg('Settings are kept for this VM in this browser.', { id: 'options.kept-for-vm' }),
  keptOnceKnown: () => msg('Settings are kept once the VM is known.', { id: 'options.kept-once-known' }),
  notKept: () => msg('Settings are not kept.', { id: 'options.not-kept' }),
  notKeptBecause: (reason: string) => msg(str`Settings are not kept: ${reason}.`, { id: 'options.not-kept-because' }),
};

/** The scale choices in words. */
export function scaleLabel(mode: ScaleMode): string {
  switch (mode) {
    case 'fit':
      return msg('Fit (keep aspect)', { id: 'options.scale-fit' });
    case 'fill':
      return msg('Fill the console', { id: 'options.scale-fill' });
    case 'none':
      return msg('None (1:1 pixels)', { id: 'options.scale-none' });
  }
}

/** The image compression choices in words (the codec names stay as they are). */
export function compressionLabel(choice: ImageCompressionChoice): string {
  switch (choice) {
    case '':
      return msg("The server's choice", { id: 'options.compression-server' });
    case 'off':
      return msg('Off', { id: 'options.compression-off' });
    case 'auto-glz':
      return 'Auto GLZ';
    case 'auto-lz':
      return 'Auto LZ';
    case 'quic':
      return 'QUIC';
    case 'glz':
      return 'GLZ';
    case 'lz':
      return 'LZ';
    case 'lz4':
      return 'LZ4';
  }
}

/** The clipboard policies in words. */
export function clipboardLabel(policy: ClipboardPolicy): string {
  switch (policy) {
    case 'both':
      return msg('Both ways', { id: 'options.clipboard-both' });
    case 'to-guest':
      return msg('To the VM only', { id: 'options.clipboard-to-guest' });
    case 'from-guest':
      return msg('From the VM only', { id: 'options.clipboard-from-guest' });
    case 'off':
      return msg('Off', { id: 'options.clipboard-off' });
  }
}

/** The effects a WAN console can disable, in words. */
export function effectLabel(effect: DisableEffect): string {
  switch (effect) {
    case 'wallpaper':
      return msg('Wallpaper', { id: 'options.effect-wallpaper' });
    case 'font-smooth':
      return msg('Font smoothing', { id: 'options.effect-font-smooth' });
    case 'animation':
      return msg('Animation', { id: 'options.effect-animation' });
    case 'all':
      return msg('All', { id: 'options.effect-all' });
  }
}
