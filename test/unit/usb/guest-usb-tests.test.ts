/**
 * guestUsbTests (test/servers/guest.ts): which of the test guest's background USB device tests are still
 * under way, read from its serial log. The e2e cleanups wait on it so that no line of an earlier device's test
 * lands after a later step's cursor.
 */
import { describe, expect, it } from 'vitest';
import { guestUsbTests } from '../../servers/guest.js';

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
