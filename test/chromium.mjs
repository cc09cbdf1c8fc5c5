/**
 * Debian's Chromium for every browser layer (web-test-runner, the e2e tests, the benchmarks): where it is
 * and the flags it needs on these machines (root: no sandbox; no GPU; no background network, which the
 * closed network would refuse many times a second). Test tools never download a browser here.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
