// The command families of the engine's differential workload that live in their own files
// (test/helpers/workload/<family>.ts). Each file imports only types from ../workload-gen.js
// and exports a Family; add it to this list.

import type { Family } from '../workload-gen.js';

export const FAMILIES: Family[] = [];
