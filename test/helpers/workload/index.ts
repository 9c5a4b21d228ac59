// The command families of the engine's differential workload that live in their own files
// (test/helpers/workload/<family>.ts). Each file imports only types from ../workload-gen.js
// and exports a Family; add it to this list.

import type { Family } from '../workload-gen.js';
import { streamFamily } from './streams.js';
import { sortFamily } from './sort.js';
import { hllFamily } from './hll.js';
import { geoFamily } from './geo.js';

export const FAMILIES: Family[] = [streamFamily, sortFamily, hllFamily, geoFamily];
