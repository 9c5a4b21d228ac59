#!/usr/bin/env node
// npm run difftest -- --seeds N [--commands M]: the engine's differential test against a real
// redis-server with more seeds than CI runs (REDKIT_DIFFTEST_SEEDS / _COMMANDS for vitest).
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env = { ...process.env };
for (let i = 0; i < args.length; i++) {
  const v = args[i + 1];
  if (args[i] === '--seeds' && v && /^\d+$/.test(v)) env.REDKIT_DIFFTEST_SEEDS = v;
  else if (args[i] === '--commands' && v && /^\d+$/.test(v)) env.REDKIT_DIFFTEST_COMMANDS = v;
  else if (args[i] === '--seeds' || args[i] === '--commands') {
    console.error(`${args[i]} takes a whole number`);
    process.exit(2);
  } else continue;
  i++;
}
const r = spawnSync('npx', ['vitest', 'run', 'test/engine/difftest.test.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
