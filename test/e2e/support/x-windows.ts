/**
 * Windows the e2e tests open on an Xspice desktop to see what reached the guest: an xterm running
 * `cat > file` (typed and pasted text lands in the file byte for byte) and the X keyboard focus given to a
 * window by its title (xdotool).
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { waitFor, type Xspice } from '../../servers/index.js';

/** Gives the X keyboard focus to the mapped window titled `name`. */
export async function focusWindow(x: Xspice, name: string): Promise<void> {
  // --onlyvisible: focus can be given only to a mapped window.
  const id = await waitFor(
    async () => (await x.exec('xdotool', ['search', '--onlyvisible', '--name', `^${name}$`])).stdout.trim().split('\n')[0],
    `window ${name}`,
    20_000,
  );
  const r = await x.exec('xdotool', ['windowfocus', '--sync', id]);
  expect(r.code).toBe(0);
}

/**
 * An xterm (with `xtermArgs`) running `cat > file` (after the shell commands `before`), with the X keyboard
 * focus; returns the file's path.
 */
export async function catWindow(x: Xspice, name: string, xtermArgs: readonly string[] = [], before = ''): Promise<string> {
  const file = join(x.tmpDir, `${name}.txt`);
  x.run('xterm', [...xtermArgs, '-geometry', '60x8+20+20', '-title', name, '-e', 'sh', '-c', `${before}cat > ${file}`]);
  await focusWindow(x, name);
  return file;
}
