/**
 * Differential test of the filter code against usbredir's own C library: thousands of generated filter
 * strings and devices go through usbredirfilter_string_to_rules / usbredirfilter_check (via a tiny C
 * program compiled here) and through parseUsbFilter / checkDevice, and the verdicts must agree.
 * Skipped when gcc or libusbredirparser-dev is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDevice, parseUsbFilter, type UsbFilterDeviceInfo } from '../../../src/usb/usbredir-filter.js';

const C_SOURCE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <usbredirfilter.h>

/* One case per line: filter TAB flags TAB dc ds dp vid pid bcd n ic is ip ...
   Output per line: parse_rc check_rc (check_rc is "-" when parsing failed). */
int main(void) {
    static char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *t1 = strchr(line, '\t');
        if (!t1) return 2;
        *t1++ = 0;
        char *t2 = strchr(t1, '\t');
        if (!t2) return 2;
        *t2++ = 0;
        struct usbredirfilter_rule *rules = NULL;
        int count = 0;
        int r = usbredirfilter_string_to_rules(line, ",", "|", &rules, &count);
        if (r) { printf("%d -\n", r); fflush(stdout); continue; }
        int flags = atoi(t1);
        int dc, ds, dp, vid, pid, bcd, n, off;
        sscanf(t2, "%d %d %d %d %d %d %d%n", &dc, &ds, &dp, &vid, &pid, &bcd, &n, &off);
        uint8_t ic[32], is[32], ip[32];
        char *p = t2 + off;
        for (int i = 0; i < n; i++) {
            int a, b, c, o;
            sscanf(p, "%d %d %d%n", &a, &b, &c, &o);
            p += o;
            ic[i] = a; is[i] = b; ip[i] = c;
        }
        int rc = usbredirfilter_check(rules, count, dc, ds, dp, ic, is, ip, n, vid, pid, bcd, flags);
        printf("%d %d\n", r, rc);
        fflush(stdout);
        usbredirfilter_free(rules);
    }
    return 0;
}
`;

const haveTools =
  spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 &&
  existsSync('/usr/include/usbredirfilter.h') &&
  existsSync('/usr/lib/x86_64-linux-gnu/libusbredirparser.so');

/** mulberry32: a small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function compile(): string {
  dir = mkdtempSync(join(tmpdir(), 'usbredirfilter-'));
  writeFileSync(join(dir, 'check.c'), C_SOURCE);
  const exe = join(dir, 'check');
  const r = spawnSync('gcc', ['-O1', '-o', exe, join(dir, 'check.c'), '-lusbredirparser'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return exe;
}

describe.skipIf(!haveTools)('filters against libusbredirparser', () => {
  it('should parse and judge exactly like usbredirfilter_string_to_rules and usbredirfilter_check', () => {
    const exe = compile();
    const rand = rng(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const num = (values: readonly number[]) => {
      const v = pick(values);
      if (v < 0) return pick(['-1', '-1', '-01', '-0x1']);
      return pick([String(v), '0x' + v.toString(16), '0X' + v.toString(16).toUpperCase(), '0' + v.toString(8), '+' + v]);
    };
    const classes = [-1, 0, 1, 2, 3, 8, 10, 0xe0, 0xef, 0xff];
    const vendors = [-1, 0x2341, 0x046d];
    const products = [-1, 0x43, 0x0a44];
    const versions = [-1, 1, 0x100];
    const garbage = ['', ' ', 'x', '0x', '08', '256', '65536', '-2', '1.5', '0x1g', ' 3', '3 ', ',', '|', '||', ',,'];

    const cases: { filter: string; flags: number; device: UsbFilterDeviceInfo }[] = [];
    for (let k = 0; k < 5000; k++) {
      const rules: string[] = [];
      const nRules = Math.floor(rand() * 5);
      for (let i = 0; i < nRules; i++) {
        const fields = [num(classes), num(vendors), num(products), num(versions), pick(['0', '1', '2', '00', '-1'])];
        if (rand() < 0.08) fields.splice(Math.floor(rand() * 5), 1, pick(garbage));
        if (rand() < 0.04) fields.push(num(classes));
        if (rand() < 0.04) fields.pop();
        rules.push(fields.join(pick([',', ',', ',', ',,'])));
      }
      const filter = rules.join(pick(['|', '|', '||'])) + (rand() < 0.1 ? '|' : '');
      const interfaces = Array.from({ length: Math.floor(rand() * 4) }, () => {
        const [interfaceClass, interfaceSubclass, interfaceProtocol] = pick([
          [1, 1, 0],
          [1, 2, 0],
          [3, 0, 0],
          [3, 1, 1],
          [8, 6, 0x50],
          [10, 0, 0],
          [2, 2, 1],
          [0xff, 0, 0],
        ] as const);
        return { interfaceClass, interfaceSubclass, interfaceProtocol };
      });
      const device: UsbFilterDeviceInfo = {
        deviceClass: pick([0, 2, 3, 8, 0xef, 0xff]),
        deviceSubclass: 0,
        deviceProtocol: 0,
        vendorId: pick([0x2341, 0x046d, 0x1234]),
        productId: pick([0x43, 0x0a44]),
        deviceVersionBcd: pick([1, 0x100, 0x200]),
        interfaces,
      };
      cases.push({ filter, flags: Math.floor(rand() * 4), device });
    }

    const input = cases
      .map(({ filter, flags, device: d }) =>
        [
          filter,
          flags,
          [d.deviceClass, d.deviceSubclass, d.deviceProtocol, d.vendorId, d.productId, d.deviceVersionBcd, d.interfaces.length]
            .concat(d.interfaces.flatMap((i) => [i.interfaceClass, i.interfaceSubclass, i.interfaceProtocol]))
            .join(' '),
        ].join('\t'),
      )
      .join('\n');
    const run = spawnSync(exe, { input: input + '\n', encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(cases.length);

    let parsed = 0;
    let allowed = 0;
    let denied = 0;
    let unmatched = 0;
    cases.forEach(({ filter, flags, device }, i) => {
      const [parseRc, checkRc] = lines[i]!.split(' ');
      let ours: string;
      let verdict = '-';
      try {
        const rules = parseUsbFilter(filter);
        ours = '0';
        const r = checkDevice(rules, device, flags);
        verdict = r.allowed ? '0' : r.code === 'denied' ? '-1' : '-2';
      } catch {
        ours = '-22';
      }
      expect([ours, verdict], `filter "${filter}" flags ${flags} device ${JSON.stringify(device)}`).toEqual([parseRc, checkRc]);
      if (ours === '0') parsed++;
      if (verdict === '0') allowed++;
      if (verdict === '-1') denied++;
      if (verdict === '-2') unmatched++;
    });
    // The generator must exercise every outcome.
    expect(parsed).toBeGreaterThan(1000);
    expect(cases.length - parsed).toBeGreaterThan(100);
    expect({ allowed: allowed > 50, denied: denied > 50, unmatched: unmatched > 50 }).toEqual({ allowed: true, denied: true, unmatched: true });
  });
});
