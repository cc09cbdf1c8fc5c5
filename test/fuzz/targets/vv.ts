/**
 * Fuzz targets for the .vv (virt-viewer connection file) parser (src/vv/). NOT WRITTEN YET: the parser is
 * being written in another branch as this file is made. Add a FuzzTarget whose `run` decodes the input as
 * text and parses it (seeds: a few real .vv files as bytes), and list it in `vvTargets`; index.ts already
 * includes this list. Every input must end in a parsed file or the parser's documented error.
 */
import type { FuzzTarget } from '../harness.js';

export const vvTargets: FuzzTarget[] = [];
