/**
 * Fuzz targets for the vd_agent message parsers (src/agent/). NOT WRITTEN YET: the agent parsers are being
 * written in another branch as this file is made. Add one FuzzTarget per public parse entry point here (seeds:
 * valid VDAgentMessage bodies built with the agent's own writers; run: the parser on the input), and list them
 * in `agentTargets`; test/fuzz/targets/index.ts already includes this list, so the unit run and `npm run fuzz`
 * pick them up with no other change. Limits to check there: MAX_AGENT_MESSAGE_SIZE and MAX_CLIPBOARD_SIZE
 * (src/protocol/limits.ts).
 */
import type { FuzzTarget } from '../harness.js';

export const agentTargets: FuzzTarget[] = [];
