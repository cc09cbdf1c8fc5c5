import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  epToIndex,
  indexToEp,
  packetTypeName,
  statusName,
  USB_REDIR_CAPS_SIZE,
  UsbredirCap,
  UsbredirEpType,
  UsbredirFilterFlag,
  UsbredirSpeed,
  UsbredirStatus,
  UsbredirType,
  USBREDIR_VERSION,
} from '../../../src/usb/usbredir/index.js';
import { UsbFilterFlag } from '../../../src/usb/usbredir-filter.js';

const PROTO_H = '/usr/include/usbredirproto.h';
const FILTER_H = '/usr/include/usbredirfilter.h';

/** The enumerators of every anonymous `enum { ... }` in a C header, with their values. */
function cEnums(path: string): Map<string, number> {
  const text = readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const out = new Map<string, number>();
  for (const block of text.matchAll(/enum\s*\{([^}]*)\}/g)) {
    let next = 0;
    for (const item of block[1]!.split(',')) {
      const m = /^\s*(\w+)\s*(?:=\s*(\w+))?\s*$/.exec(item);
      if (!m) continue;
      const value = m[2] !== undefined ? Number(m[2]) : next;
      out.set(m[1]!, value);
      next = value + 1;
    }
  }
  return out;
}

const pascal = (snake: string) => snake.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

describe('usbredir constants', () => {
  it.skipIf(!existsSync(PROTO_H))('should match every enumerator of usbredirproto.h', () => {
    const enums = cEnums(PROTO_H);
    const capNames: Record<string, keyof typeof UsbredirCap> = { '64bits_ids': 'Ids64bits', '32bits_bulk_length': 'BulkLength32bits' };
    let checked = 0;
    for (const [name, value] of enums) {
      const rest = name.replace(/^usb_redir_/, '');
      let ours: number | undefined;
      if (rest.startsWith('cap_')) ours = UsbredirCap[capNames[rest.slice(4)] ?? (pascal(rest.slice(4)) as keyof typeof UsbredirCap)];
      else if (rest.startsWith('type_')) ours = UsbredirEpType[pascal(rest.slice(5)) as keyof typeof UsbredirEpType];
      else if (rest.startsWith('speed_')) ours = UsbredirSpeed[pascal(rest.slice(6)) as keyof typeof UsbredirSpeed];
      else if (pascal(rest) in UsbredirStatus) ours = UsbredirStatus[pascal(rest) as keyof typeof UsbredirStatus];
      else ours = UsbredirType[pascal(rest) as keyof typeof UsbredirType];
      expect(ours, name).toBe(value);
      checked++;
    }
    // 7 statuses, 5 endpoint types, 5 speeds, 33 packet types, 8 caps
    expect(checked).toBe(58);
    const header = readFileSync(PROTO_H, 'utf8');
    expect(header).toMatch(new RegExp(`#define USBREDIR_VERSION 0x${USBREDIR_VERSION.toString(16).padStart(6, '0')}`));
    expect(header).toMatch(new RegExp(`#define USB_REDIR_CAPS_SIZE ${USB_REDIR_CAPS_SIZE}\\b`));
  });

  it.skipIf(!existsSync(FILTER_H))('should match the flags of usbredirfilter.h', () => {
    const enums = cEnums(FILTER_H);
    expect(enums.get('usbredirfilter_fl_default_allow')).toBe(UsbredirFilterFlag.DefaultAllow);
    expect(enums.get('usbredirfilter_fl_dont_skip_non_boot_hid')).toBe(UsbredirFilterFlag.DontSkipNonBootHid);
    expect(UsbFilterFlag).toEqual(UsbredirFilterFlag);
  });

  it('should map endpoint addresses to ep_info indexes and back', () => {
    expect(epToIndex(0x00)).toBe(0);
    expect(epToIndex(0x02)).toBe(2);
    expect(epToIndex(0x80)).toBe(16);
    expect(epToIndex(0x83)).toBe(19);
    expect(epToIndex(0x8f)).toBe(31);
    for (let i = 0; i < 32; i++) expect(epToIndex(indexToEp(i))).toBe(i);
  });

  it('should name packet types and statuses', () => {
    expect(packetTypeName(UsbredirType.CancelDataPacket)).toBe('cancel_data_packet');
    expect(packetTypeName(UsbredirType.Hello)).toBe('hello');
    expect(packetTypeName(77)).toBe('type 77');
    expect(statusName(UsbredirStatus.Stall)).toBe('stall');
    expect(statusName(9)).toBe('status 9');
  });
});
