import { describe, expect, it } from 'vitest';
import {
  checkDevice,
  parseUsbFilter,
  serializeUsbFilter,
  UsbFilterFlag,
  UsbFilterSyntaxError,
  type UsbFilterDeviceInfo,
  type UsbFilterRule,
} from '../../../src/usb/usbredir-filter.js';

const rule = (deviceClass: number, vendorId: number, productId: number, deviceVersionBcd: number, allow: boolean): UsbFilterRule => ({
  deviceClass,
  vendorId,
  productId,
  deviceVersionBcd,
  allow,
});

const itf = (interfaceClass: number, interfaceSubclass = 0, interfaceProtocol = 0) => ({ interfaceClass, interfaceSubclass, interfaceProtocol });

/** The fake Arduino: class 0x02 device, a CDC communication interface and a CDC data interface. */
const arduino: UsbFilterDeviceInfo = {
  deviceClass: 0x02,
  deviceSubclass: 0,
  deviceProtocol: 0,
  vendorId: 0x2341,
  productId: 0x0043,
  deviceVersionBcd: 0x0001,
  interfaces: [itf(0x02, 0x02, 0x01), itf(0x0a)],
};

/** A USB headset: per-interface class, audio interfaces plus a non-boot HID interface for the buttons. */
const headset: UsbFilterDeviceInfo = {
  deviceClass: 0x00,
  deviceSubclass: 0,
  deviceProtocol: 0,
  vendorId: 0x046d,
  productId: 0x0a44,
  deviceVersionBcd: 0x0100,
  interfaces: [itf(0x01, 0x01), itf(0x01, 0x02), itf(0x03, 0x00, 0x00)],
};

const check = (filter: string, device: UsbFilterDeviceInfo, flags = 0) => checkDevice(parseUsbFilter(filter), device, flags);

describe('parseUsbFilter', () => {
  it('should parse spice-gtk default auto-connect filter', () => {
    expect(parseUsbFilter('0x03,-1,-1,-1,0|-1,-1,-1,-1,1')).toEqual([rule(3, -1, -1, -1, false), rule(-1, -1, -1, -1, true)]);
  });

  it('should read numbers like strtol with base 0: decimal, hex and octal', () => {
    expect(parseUsbFilter('8,0x2341,67,0X0001,1')).toEqual([rule(8, 0x2341, 67, 1, true)]);
    expect(parseUsbFilter('010,0,00,0xff,0')).toEqual([rule(8, 0, 0, 255, false)]);
  });

  it('should treat any non-zero allow as allow', () => {
    expect(parseUsbFilter('-1,-1,-1,-1,2')[0]!.allow).toBe(true);
    expect(parseUsbFilter('-1,-1,-1,-1,-1')[0]!.allow).toBe(true);
  });

  it('should collapse runs of separators like strtok', () => {
    expect(parseUsbFilter('')).toEqual([]);
    expect(parseUsbFilter('|||')).toEqual([]);
    expect(parseUsbFilter('||0x03,-1,-1,-1,0||')).toEqual([rule(3, -1, -1, -1, false)]);
    expect(parseUsbFilter(',,3,,-1,-1,,-1,0,')).toEqual([rule(3, -1, -1, -1, false)]);
  });

  it('should accept leading whitespace in a number but not trailing', () => {
    expect(parseUsbFilter(' 3,-1,-1,-1,1')).toEqual([rule(3, -1, -1, -1, true)]);
    expect(() => parseUsbFilter('3 ,-1,-1,-1,1')).toThrow(UsbFilterSyntaxError);
  });

  it("should parse QEMU's colon-separated form", () => {
    expect(parseUsbFilter('0x08:-1:-1:-1:0|-1:-1:-1:-1:1', { tokenSep: ':' })).toEqual([rule(8, -1, -1, -1, false), rule(-1, -1, -1, -1, true)]);
  });

  const bad: [string, string][] = [
    ['four fields', '0x03,-1,-1,0'],
    ['six fields', '0x03,-1,-1,-1,0,1'],
    ['a word', 'hid,-1,-1,-1,0'],
    ['an invalid octal digit', '08,-1,-1,-1,0'],
    ['a bare 0x', '0x,-1,-1,-1,0'],
    ['a class above 255', '0x100,-1,-1,-1,0'],
    ['a vendor above 65535', '-1,65536,-1,-1,0'],
    ['a value below -1', '-2,-1,-1,-1,0'],
    ['one bad rule among good ones', '-1,-1,-1,-1,1|0x03,-1,-1,0'],
  ];
  for (const [what, text] of bad) {
    it(`should reject ${what}`, () => {
      expect(() => parseUsbFilter(text)).toThrow(UsbFilterSyntaxError);
    });
  }
});

describe('serializeUsbFilter', () => {
  it('should print rules the way usbredirfilter_rules_to_string does', () => {
    expect(serializeUsbFilter([rule(3, -1, -1, -1, false), rule(-1, -1, -1, -1, true)])).toBe('0x03,-1,-1,-1,0|-1,-1,-1,-1,1');
    expect(serializeUsbFilter([rule(8, 0x2341, 0x43, 0x100, true)])).toBe('0x08,0x2341,0x0043,0x0100,1');
    expect(serializeUsbFilter([rule(8, -1, -1, -1, false)], { tokenSep: ':' })).toBe('0x08:-1:-1:-1:0');
  });

  it('should round-trip through the parser', () => {
    const rules = [rule(0xe0, 0x0bda, -1, 0x0200, false), rule(-1, -1, -1, -1, true)];
    expect(parseUsbFilter(serializeUsbFilter(rules))).toEqual(rules);
  });

  it('should refuse rules out of range', () => {
    expect(() => serializeUsbFilter([rule(256, -1, -1, -1, true)])).toThrow(RangeError);
  });
});

describe('checkDevice', () => {
  it('should allow a device every pass of which a rule allows', () => {
    expect(check('0x02,-1,-1,-1,1|0x0a,-1,-1,-1,1', arduino)).toEqual({ allowed: true });
    expect(check('-1,-1,-1,-1,1', arduino)).toEqual({ allowed: true });
  });

  it('should let the first matching rule win', () => {
    expect(check('-1,0x2341,-1,-1,1|0x0a,-1,-1,-1,0', arduino).allowed).toBe(true);
    expect(check('0x0a,-1,-1,-1,0|-1,0x2341,-1,-1,1', arduino).allowed).toBe(false);
  });

  it('should check each interface class in its own pass and name the refusing rule', () => {
    const r = check('0x0a,-1,-1,-1,0|-1,-1,-1,-1,1', arduino);
    expect(r).toMatchObject({ allowed: false, code: 'denied', rule: 0 });
    expect(r.allowed === false && r.reason).toBe('interface 1 (class 0x0a) of device 2341:0043 is blocked by filter rule 1 (0x0a,-1,-1,-1,0)');
  });

  it('should need every pass to allow', () => {
    const r = check('0x02,-1,-1,-1,1|0x0a,-1,-1,-1,0|-1,-1,-1,-1,1', arduino);
    expect(r).toMatchObject({ allowed: false, code: 'denied', rule: 1 });
  });

  it('should check the device class pass first', () => {
    const r = check('0x02,-1,-1,-1,0|-1,-1,-1,-1,1', arduino);
    expect(r.allowed === false && r.reason).toMatch(/^the device class \(class 0x02\)/);
  });

  it('should refuse when a pass matches no rule, unless default-allow', () => {
    const r = check('0x02,-1,-1,-1,1', arduino);
    expect(r).toMatchObject({ allowed: false, code: 'no-match' });
    expect(r.allowed === false && r.reason).toBe('no filter rule matches interface 1 (class 0x0a) of device 2341:0043');
    expect(check('0x02,-1,-1,-1,1', arduino, UsbFilterFlag.DefaultAllow).allowed).toBe(true);
    expect(check('', arduino).allowed).toBe(false);
    expect(check('', arduino, UsbFilterFlag.DefaultAllow).allowed).toBe(true);
  });

  it('should skip the device class pass for class 0x00 and 0xEF', () => {
    const deny0 = '0x00,-1,-1,-1,0|0xef,-1,-1,-1,0|-1,-1,-1,-1,1';
    expect(check(deny0, { ...arduino, deviceClass: 0x00 }).allowed).toBe(true);
    expect(check(deny0, { ...arduino, deviceClass: 0xef }).allowed).toBe(true);
    expect(check('0x02,-1,-1,-1,0|-1,-1,-1,-1,1', arduino).allowed).toBe(false);
  });

  it('should match vendor, product and version', () => {
    expect(check('-1,0x2341,0x0043,0x0001,0|-1,-1,-1,-1,1', arduino).allowed).toBe(false);
    expect(check('-1,0x2341,0x0043,0x0002,0|-1,-1,-1,-1,1', arduino).allowed).toBe(true);
    expect(check('-1,0x2341,0x0044,-1,0|-1,-1,-1,-1,1', arduino).allowed).toBe(true);
  });

  it('should skip non-boot HID interfaces of multi-interface devices', () => {
    expect(check('0x03,-1,-1,-1,0|-1,-1,-1,-1,1', headset).allowed).toBe(true);
    expect(check('0x01,-1,-1,-1,1', headset).allowed).toBe(true);
  });

  it('should not skip them with DontSkipNonBootHid', () => {
    const r = check('0x03,-1,-1,-1,0|-1,-1,-1,-1,1', headset, UsbFilterFlag.DontSkipNonBootHid);
    expect(r).toMatchObject({ allowed: false, code: 'denied' });
  });

  it('should not skip boot HID interfaces (subclass 1) or a lone HID interface', () => {
    const bootKeyboard = { ...headset, interfaces: [itf(0x01, 0x01), itf(0x03, 0x01, 0x01)] };
    expect(check('0x03,-1,-1,-1,0|-1,-1,-1,-1,1', bootKeyboard).allowed).toBe(false);
    const loneHid = { ...headset, interfaces: [itf(0x03)] };
    expect(check('0x03,-1,-1,-1,0|-1,-1,-1,-1,1', loneHid).allowed).toBe(false);
  });

  it('should check the HID interfaces after all when every interface was skipped', () => {
    const twoHid = { ...headset, interfaces: [itf(0x03), itf(0x03)] };
    expect(check('0x03,-1,-1,-1,0|-1,-1,-1,-1,1', twoHid).allowed).toBe(false);
    expect(check('0x03,-1,-1,-1,1', twoHid).allowed).toBe(true);
  });

  it('should judge an unconfigured device by its device class alone', () => {
    const bare = { ...arduino, interfaces: [] };
    expect(check('0x02,-1,-1,-1,1', bare).allowed).toBe(true);
    expect(check('0x00,-1,-1,-1,0', { ...bare, deviceClass: 0 }).allowed).toBe(true);
  });

  it('should refuse invalid rules', () => {
    expect(() => checkDevice([rule(-5, -1, -1, -1, true)], arduino)).toThrow(RangeError);
  });
});
