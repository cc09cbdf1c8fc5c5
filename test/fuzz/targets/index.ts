/**
 * Every fuzz target, in one list: the unit run (test/fuzz/fuzz.test.ts) and the long run (`npm run fuzz`,
 * test/fuzz/run.ts) both iterate it. Add a target by adding it to its area's list.
 */
import type { FuzzTarget } from '../harness.js';
import { agentTargets } from './agent.js';
import { codecTargets } from './codecs.js';
import { displayTargets } from './display.js';
import { protocolTargets } from './protocol.js';
import { usbredirTargets } from './usbredir.js';
import { vvTargets } from './vv.js';

export const allTargets: FuzzTarget[] = [...protocolTargets, ...displayTargets, ...codecTargets, ...usbredirTargets, ...agentTargets, ...vvTargets];
