/**
 * Reading the test guest's serial log (test/servers/guest.ts) without stale or cut matches: guestUsbTests
 * (which background USB device tests are still under way; the e2e cleanups wait on it so that no line of an
 * earlier device's test lands after a later step's cursor) and usbListingAfter (only a listing round printed
 * wholly after a cursor counts).
 */
import { describe, expect, it } from 'vitest';
import { guestUsbTests, usbListingAfter } from '../../servers/guest.js';

describe('guestUsbTests', () => {
  it('should count a loopback from ACM DEVICE to ACM DONE and a disk test from MSC DISK to MSC DONE', () => {
    const log = ['GUEST READY', 'ACM DEVICE /dev/ttyACM0', 'USBTICK 3', 'MSC DISK sda 4096', 'ACM SENT 4 abc', ''].join('\n');
    expect(guestUsbTests(log)).toEqual({ acmRunning: 1, mscRunning: 1, disksPresent: 1 });
    const later = `${log}ACM RESULT 2 def\nACM DONE /dev/ttyACM0\nMSC READ 2048 0123 0.5s\nMSC DONE sda\n`;
    expect(guestUsbTests(later)).toEqual({ acmRunning: 0, mscRunning: 0, disksPresent: 1 });
    expect(guestUsbTests(`${later}USBTICK 9\nMSC GONE sda\n`)).toEqual({ acmRunning: 0, mscRunning: 0, disksPresent: 0 });
  });

  it('should see a second drive of the same name as a new test, and not count a line cut at the end of the log', () => {
    const first = 'MSC DISK sda 4096\nMSC GONE sda\nMSC DONE sda\n';
    expect(guestUsbTests(`${first}MSC DISK sda 4096\nMSC DO`)).toEqual({ acmRunning: 0, mscRunning: 1, disksPresent: 1 });
    // Only whole words at a line start count: a kernel line quoting the text does not.
    expect(guestUsbTests('[ 1.0] x: ACM DEVICE /dev/ttyACM0\n')).toEqual({ acmRunning: 0, mscRunning: 0, disksPresent: 0 });
  });
});

describe('usbListingAfter', () => {
  const round = (n: number, ...products: string[]) => products.map((p, i) => `USBDEV 1-${i + 1} 2341:0043 speed=480 product=${p}\n`).join('') + `USBTICK ${n}\n`;

  it('should not take the part of a round after a cursor for a whole round', () => {
    const log = `GUEST READY\n${round(1, 'Fast Uno')}${round(2, 'Fast Uno')}`;
    // The cursor inside round 2, past its device line: what follows up to USBTICK 2 lists nothing.
    const cut = log.indexOf('USBTICK 2');
    expect(usbListingAfter(log, cut)).toBeNull();
    // The next round is whole: it counts, with or without the device.
    expect(usbListingAfter(`${log}${round(3, 'Fast Uno')}`, cut)?.map((d) => d.product)).toEqual(['Fast Uno']);
    expect(usbListingAfter(`${log}${round(3)}`, cut)).toEqual([]);
  });

  it('should take the first round of a whole log', () => {
    expect(usbListingAfter(`GUEST READY\n${round(1, 'A', 'B')}`, 0)?.map((d) => d.product)).toEqual(['A', 'B']);
    expect(usbListingAfter('GUEST READY\n', 0)).toBeNull();
  });
});
