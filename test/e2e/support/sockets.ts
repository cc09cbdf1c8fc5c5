/** Counts established TCP connections to a local server port (server side), to prove none is left open. */
import { execFileSync } from 'node:child_process';

export function establishedTo(port: number): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim()).length;
}
