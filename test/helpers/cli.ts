// Run the redkit CLI in-process with captured output and chosen terminal flags.

import { main } from '../../src/cli.js';
import type { CommandIO } from '../../src/commands/output.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

export async function runCli(args: string[], opts: { stdinTTY?: boolean; answer?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stdoutTTY: false,
    stderrTTY: false,
    stdinTTY: opts.stdinTTY ?? false,
    env: { NO_COLOR: '1' },
  };
  if (opts.answer !== undefined) {
    const answer = opts.answer;
    io.prompt = async (q: string) => {
      stdout += q;
      return answer;
    };
  }
  const code = await main(args, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}
