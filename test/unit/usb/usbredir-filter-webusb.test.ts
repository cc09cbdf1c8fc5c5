/**
 * Filter decisions at the edges of the browser: turning usbredir rules into the WebUSB chooser's filters,
 * and the decision on a device as WebUSB describes it (usbFilterInfoFromDevice + checkDevice), as the
 * console's `usb-filter` and the VM's filter_filter are applied.
 */
import { describe, expect, it } from 'vitest';
import { usbFilterInfoFromDevice } from '../../../src/usb/usbredir-filter.js';
import { checkDevice, parseUsbFilter, webUsbRequestFilters } from '../../../src/usb/usbredir-filter.js';
import { FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';

describe('the WebUSB chooser filters of a usbredir filter', () => {
  it('should offer every device for an empty filter or one that allows anything first', () => {
    expect(webUsbRequestFilters([])).toEqual({ filters: [], exclusionFilters: [] });
    expect(webUsbRequestFilters(parseUsbFilter('-1,-1,-1,-1,1|0x08,-1,-1,-1,0'))).toEqual({ filters: [], exclusionFilters: [] });
  });

  it('should turn allow rules into filters and earlier-unmatched deny rules into exclusions', () => {
    expect(webUsbRequestFilters(parseUsbFilter('0x03,-1,-1,-1,0|0x02,0x2341,-1,-1,1|-1,0x1234,0x5678,-1,1'))).toEqual({
      filters: [
        { classCode: 2, vendorId: 0x2341 },
        { vendorId: 0x1234, productId: 0x5678 },
      ],
      exclusionFilters: [{ classCode: 3 }],
    });
    // spice-gtk's default auto-connect filter: everything but HID.
    expect(webUsbRequestFilters(parseUsbFilter('0x03,-1,-1,-1,0|-1,-1,-1,-1,1'))).toEqual({ filters: [], exclusionFilters: [{ classCode: 3 }] });
  });

  it('should not exclude what an earlier allow rule lets through', () => {
    // A CDC device of vendor 2341 matches rule 1 first: allowed, so vendor 2341 must not be excluded.
    expect(webUsbRequestFilters(parseUsbFilter('0x02,-1,-1,-1,1|-1,0x2341,-1,-1,0'))).toEqual({
      filters: [{ classCode: 2 }],
      exclusionFilters: [],
    });
  });

  it('should offer everything for an allow rule WebUSB cannot express (a product id without a vendor)', () => {
    expect(webUsbRequestFilters(parseUsbFilter('0x02,-1,-1,-1,1|-1,-1,0x43,-1,1'))).toEqual({ filters: [], exclusionFilters: [] });
  });
});

describe('filter decisions on a WebUSB device', () => {
  const arduino = usbFilterInfoFromDevice(new FakeCdcAcmDevice());

  it('should read the device and interface classes and the bcdDevice from the WebUSB object', () => {
    expect(arduino).toMatchObject({
      deviceClass: 2,
      vendorId: 0x2341,
      productId: 0x43,
      deviceVersionBcd: 0x0001,
      interfaces: [
        { interfaceNumber: 0, interfaceClass: 2, interfaceSubclass: 2, interfaceProtocol: 1 },
        { interfaceNumber: 1, interfaceClass: 0x0a },
      ],
    });
  });

  it('should refuse it by class with a sentence naming the rule, and allow it by vendor', () => {
    expect(checkDevice(parseUsbFilter('0x02,-1,-1,-1,0|-1,-1,-1,-1,1'), arduino)).toEqual({
      allowed: false,
      code: 'denied',
      rule: 0,
      reason: 'the device class (class 0x02) of device 2341:0043 is blocked by filter rule 1 (0x02,-1,-1,-1,0)',
    });
    expect(checkDevice(parseUsbFilter('-1,0x2341,-1,-1,1|-1,-1,-1,-1,0'), arduino)).toEqual({ allowed: true });
    // The data interface (0x0a) matches no rule: refused.
    expect(checkDevice(parseUsbFilter('0x02,-1,-1,-1,1'), arduino)).toMatchObject({
      allowed: false,
      code: 'no-match',
      reason: expect.stringContaining('interface 1 (class 0x0a)'),
    });
  });
});
