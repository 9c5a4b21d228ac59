// Resolving a command's input path, with the failures every command reports the same way:
// unreadable (exit 2), damaged or unsupported before any byte of data is read (exit 1 or 3).

import fs from 'node:fs';
import path from 'node:path';
import { FormatError, InputError, UnsupportedError, UsageError } from '../model/errors.js';
import { resolveInput, type ResolvedInput } from '../io/source.js';
import { DatasetDigest, type DigestRules } from '../engine/digest.js';
import { ExitCode, type Problem } from './output.js';
import { problemOf } from './check.js';

export type InputOrProblem = { input: ResolvedInput; exitCode?: undefined; problem?: undefined } | { input?: undefined; exitCode: number; problem: Problem };

export async function resolveOrProblem(p: string): Promise<InputOrProblem> {
  try {
    return { input: await resolveInput(p) };
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError) return { exitCode: ExitCode.Usage, problem: { severity: 'error', file: p, offset: -1, message: e.message } };
    if (e instanceof FormatError) return { exitCode: e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged, problem: problemOf(e, e.file ?? p) };
    throw e;
  }
}

/**
 * Resolve an input whose data a command is about to load. Every problem (an unreadable path;
 * the input's own: a manifest Redis would refuse, a listed file that is missing) goes to
 * `problems`; the result is the input, or the exit code to stop with (an error among the
 * input's own problems means no server would load it: exit 1).
 */
export async function resolveLoadable(
  p: string,
  problems: Problem[],
): Promise<{ input: ResolvedInput; exitCode?: undefined } | { input: ResolvedInput | undefined; exitCode: number }> {
  const r = await resolveOrProblem(p);
  if (r.problem) {
    problems.push(r.problem);
    return { input: undefined, exitCode: r.exitCode };
  }
  for (const x of r.input.problems) problems.push(x);
  if (r.input.problems.some((x) => x.severity === 'error')) return { input: r.input, exitCode: ExitCode.Damaged };
  return { input: r.input };
}

/** The report fields a digesting run (digest, replay) fills before reading any data. */
export interface DigestRunReport {
  exitCode: number;
  problems: Problem[];
  source: string;
  compat?: string;
  rules?: DigestRules['rules'];
}

/**
 * How `digest` and `replay` start: the digest rules (a bad --digest-compat is exit 2) and the
 * input about to be loaded. Fills the report's compat, rules, source and problems; undefined
 * (with report.exitCode set) when the run stops here.
 */
export async function openDigestRun(
  p: string,
  digestCompat: string | undefined,
  now: number,
  report: DigestRunReport,
): Promise<{ digest: DatasetDigest; input: ResolvedInput } | undefined> {
  let digest: DatasetDigest;
  try {
    digest = new DatasetDigest({ ...(digestCompat !== undefined ? { compat: digestCompat } : {}), now });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    report.exitCode = ExitCode.Usage;
    report.problems.push({ severity: 'error', file: '', offset: -1, message: e.message });
    return undefined;
  }
  report.compat = digest.rules.compat;
  report.rules = digest.rules.rules;
  const resolved = await resolveLoadable(p, report.problems);
  if (resolved.input) report.source = resolved.input.kind;
  if (resolved.exitCode !== undefined) {
    report.exitCode = resolved.exitCode;
    return undefined;
  }
  return { digest, input: resolved.input };
}

/** `p` with symlinks resolved, also when it does not exist yet (its longest existing ancestor is resolved) */
function realPath(p: string): string {
  let dir = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(dir), ...rest);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return path.resolve(p);
      rest.unshift(path.basename(dir));
      dir = up;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel);
}

/**
 * Refuse (exit 2) an output path that is the input or one of its files, lies inside a
 * multi-part input's directory, or holds the input, also through a symlink: writing it would
 * replace data that is still being read (`rewrite` of a multi-part AOF into one of its own
 * INCR files doubled the dataset), leave a stray file in the AOF directory (Redis and redkit
 * then warn about it on every load), or copy a directory into itself.
 */
export function refuseOutputInInput(output: string, input: string, src: ResolvedInput): void {
  const out = realPath(output);
  const parts = [input, ...(src.manifestPath ? [src.manifestPath] : []), ...src.files.filter((f) => f.path !== '-').map((f) => f.path)];
  for (const part of parts) {
    if (realPath(part) === out) {
      throw new UsageError(part === input ? 'the output must not be the input' : `the output must not be a file of the input: ${output} is ${part}`);
    }
  }
  if (input === '-') return;
  const root = src.manifestPath !== undefined ? path.dirname(src.manifestPath) : input;
  const rootReal = realPath(root);
  if (out === rootReal || (src.manifestPath !== undefined && isInside(out, rootReal))) {
    throw new UsageError(`the output must not be inside the input: ${output} is in ${root}; write it somewhere outside`);
  }
  if (isInside(rootReal, out)) throw new UsageError(`the output must not contain the input: ${root} is inside ${output}`);
}
