// The dataset summary that check and info print: keys per db and type, expires, commands by
// name, annotation time range, and the semantic AOF checks (unknown commands, arity, SELECT).

import type { RdbItem } from '../codec/rdb-reader.js';
import { rdbTypeEncoding, rdbTypeSince, rdbValueType } from '../codec/rdb-types.js';
import { commandNameById, type RespRecord } from '../codec/resp.js';
import { arityOk, commandSpec, hasSubcommands, type CommandSpec } from '../codec/commands-table.js';
import type { KeyEntry } from '../model/value.js';
import type { InputFile } from '../io/source.js';
import type { ScanVisitor } from '../io/scan.js';
import type { Problem } from './output.js';

export interface Stats {
  keys: number;
  keysPerDb: Record<string, number>;
  expires: number;
  alreadyExpired: number;
  commands: number;
  commandsByName: Record<string, number>;
}

export interface DetailedStats extends Stats {
  /** db -> type -> count */
  typesPerDb: Record<string, Record<string, number>>;
  /** db -> encoding -> count */
  encodingsPerDb: Record<string, Record<string, number>>;
  functions: string[];
  moduleTypes: Record<string, number>;
  moduleAux: string[];
  aux: Record<string, string>;
  /** first and last #TS: annotation (unix seconds) */
  firstTimestamp: number | undefined;
  lastTimestamp: number | undefined;
  annotations: number;
  largest: { db: number; key: string; type: string; bytes: number }[];
  fieldsWithTtl: number;
}

const MAX_WARNINGS_PER_KIND = 5;

export class StatsCollector implements ScanVisitor {
  readonly stats: DetailedStats = {
    keys: 0,
    keysPerDb: {},
    expires: 0,
    alreadyExpired: 0,
    commands: 0,
    commandsByName: {},
    typesPerDb: {},
    encodingsPerDb: {},
    functions: [],
    moduleTypes: {},
    moduleAux: [],
    aux: {},
    firstTimestamp: undefined,
    lastTimestamp: undefined,
    annotations: 0,
    largest: [],
    fieldsWithTtl: 0,
  };
  readonly problems: Problem[] = [];
  private readonly warnCounts = new Map<string, number>();
  /** commands counted by RespRecord.nameId (an array: the hot path allocates nothing) */
  private readonly countById: number[] = [];
  /** per nameId: 0 unchecked, 1 plain command, 2 has subcommands, 3 unknown */
  private readonly kindById: number[] = [];
  private readonly specById: (CommandSpec | undefined)[] = [];

  constructor(
    private readonly now: number,
    private readonly top = 0,
    private readonly databases = 16,
    /** whether a file Redis refuses for its db numbers is an error (check) or a warning (info) */
    private readonly judge = true,
  ) {}

  rdbItem(item: RdbItem, file: InputFile): void {
    const s = this.stats;
    switch (item.kind) {
      case 'aux':
        s.aux[item.name.toString('latin1')] = item.value.toString('latin1');
        break;
      case 'function':
        s.functions.push(libraryName(item.code));
        break;
      case 'module-aux':
        s.moduleAux.push(item.moduleName);
        break;
      case 'header':
        this.rdbVersion = item.magic === 'REDIS' ? item.version : Infinity;
        break;
      case 'key': {
        this.key(item.entry, file);
        // a type newer than the file's version: no server wrote that; the servers of that
        // version refuse it (newer ones load it)
        const since = item.entry.rdbType >= 14 ? rdbTypeSince(item.entry.rdbType) : undefined;
        if (since && since.version > this.rdbVersion) {
          this.warn(
            `type-since:${item.entry.rdbType}`,
            file.path,
            item.entry.offset,
            `RDB type ${item.entry.rdbType} (${rdbTypeEncoding(item.entry.rdbType)}) first appeared in RDB ${since.version} (Redis ${since.redis}), but this file says RDB ${this.rdbVersion}: servers that write RDB ${this.rdbVersion} refuse it ("Invalid object type")`,
          );
        }
        break;
      }
      case 'selectdb':
        // rdbLoad stops at the SELECTDB itself, whether keys follow or not
        if (item.db >= this.databases) {
          this.problems.push({
            severity: this.judge ? 'error' : 'warning',
            file: file.path,
            offset: item.offset,
            message: `SELECTDB ${item.db}: a Redis with ${this.databases} databases refuses to load this file ("FATAL: Data file was created with a Redis server configured to handle more than ${this.databases} databases")${this.judge ? '; if the server has more, give --databases' : ''}`,
          });
        }
        break;
      default:
        break;
    }
  }

  /** the version in the header of the RDB being read (Infinity: none, or Valkey's) */
  private rdbVersion = Infinity;

  /** per db: counts by RDB type byte (folded into typesPerDb/encodingsPerDb at finish) */
  private readonly byDbType: number[][] = [];
  private readonly keysByDb: number[] = [];
  private readonly modulesByDb: Record<string, number>[] = [];

  private key(e: KeyEntry, _file: InputFile): void {
    const s = this.stats;
    s.keys++;
    this.keysByDb[e.db] = (this.keysByDb[e.db] ?? 0) + 1;
    const perType = (this.byDbType[e.db] ??= []);
    perType[e.rdbType] = (perType[e.rdbType] ?? 0) + 1;
    if (e.expireMs !== -1) {
      s.expires++;
      if (e.expireMs < this.now) s.alreadyExpired++;
    }
    const v = e.value;
    if (v.type === 'module') {
      s.moduleTypes[v.moduleName] = (s.moduleTypes[v.moduleName] ?? 0) + 1;
      const m = (this.modulesByDb[e.db] ??= {});
      m[v.moduleName] = (m[v.moduleName] ?? 0) + 1;
    }
    else if (v.type === 'hash') {
      for (const f of v.entries) if (f.expireMs !== undefined) s.fieldsWithTtl++;
    }
    if (this.top > 0) this.trackLargest(e, v.type === 'module' ? `module:${v.moduleName}` : v.type);
  }

  /** Fold the per-type counters into the JSON-shaped maps (cheap: once per run). */
  private foldKeyCounts(): void {
    const s = this.stats;
    this.keysByDb.forEach((n, db) => {
      if (!n) return;
      const d = String(db);
      s.keysPerDb[d] = n;
      const types: Record<string, number> = {};
      const encs: Record<string, number> = {};
      (this.byDbType[db] ?? []).forEach((c, rdbType) => {
        if (!c) return;
        const type = rdbValueType(rdbType);
        if (type !== 'module') types[type] = (types[type] ?? 0) + c;
        const enc = rdbTypeEncoding(rdbType);
        encs[enc] = (encs[enc] ?? 0) + c;
      });
      // module keys are listed by module type name
      for (const [name, c] of Object.entries(this.modulesByDb[db] ?? {})) types[`module:${name}`] = c;
      s.typesPerDb[d] = types;
      s.encodingsPerDb[d] = encs;
    });
  }

  private trackLargest(e: KeyEntry, type: string): void {
    const l = this.stats.largest;
    if (l.length >= this.top && l[l.length - 1]!.bytes >= e.size) return;
    l.push({ db: e.db, key: printableKeyText(e.key), type, bytes: e.size });
    l.sort((a, b) => b.bytes - a.bytes);
    if (l.length > this.top) l.pop();
  }

  annotation(text: string, offset: number, _end: number, file: InputFile): void {
    const s = this.stats;
    s.annotations++;
    if (!text.startsWith('#TS:')) return;
    const v = text.slice(4);
    if (!/^-?[0-9]+$/.test(v)) {
      this.warn('bad-ts', file.path, offset, `malformed timestamp annotation '${text.slice(0, 40)}'`);
      return;
    }
    const ts = Number(v);
    if (s.firstTimestamp === undefined || ts < s.firstTimestamp) s.firstTimestamp = ts;
    if (s.lastTimestamp === undefined || ts > s.lastTimestamp) s.lastTimestamp = ts;
  }

  command(rec: RespRecord, file: InputFile): void {
    if (rec.argc < 1) {
      // `*0` (or a negative count): no command at all, only an error (see slowCommand)
      this.slowCommand(rec, file, 4);
      return;
    }
    this.stats.commands++;
    const id = rec.nameId;
    this.countById[id] = (this.countById[id] ?? 0) + 1;
    let kind = this.kindById[id];
    if (kind === undefined) {
      const name = rec.name;
      const spec = commandSpec(name);
      kind = name === '' ? 4 : name === 'SELECT' ? 5 : hasSubcommands(name) ? 2 : spec ? 1 : 3;
      this.kindById[id] = kind;
      this.specById[id] = spec;
    }
    if (kind === 1) {
      const arity = this.specById[id]!.arity;
      if (arity >= 0 ? rec.argc !== arity : rec.argc < -arity) this.arityWarning(rec, file, arity);
      return;
    }
    this.slowCommand(rec, file, kind);
  }

  private arityWarning(rec: RespRecord, file: InputFile, arity: number): void {
    this.warn(
      `arity:${rec.name}`,
      file.path,
      rec.offset,
      `'${rec.name}' with ${rec.argc - 1} arguments does not match its arity (${arity > 0 ? `exactly ${arity - 1}` : `at least ${-arity - 1}`})`,
    );
  }

  /** the rare cases: no name, SELECT, subcommands, unknown names */
  private slowCommand(rec: RespRecord, file: InputFile, kind: number): void {
    const name = rec.name;
    if (kind === 4 || rec.argc < 1) {
      this.problems.push({
        severity: 'error',
        file: file.path,
        offset: rec.offset,
        message: `a command with ${rec.argc} arguments: Redis refuses to load it ("Bad file format")`,
      });
      return;
    }
    if (kind === 5) {
      const t = rec.argc === 2 ? rec.text(1) : '';
      const db = /^[0-9]+$/.test(t) ? Number(t) : NaN;
      if (!(db >= 0 && db < this.databases)) {
        this.warn('select', file.path, rec.offset, `SELECT '${t.slice(0, 20)}' is outside databases 0-${this.databases - 1} (a server with more databases may accept it)`);
      }
      return;
    }
    if (kind === 3) {
      this.warn(`unknown:${name}`, file.path, rec.offset, `unknown command '${name.slice(0, 40)}' (Redis refuses to load an AOF with it unless a module provides it)`);
      return;
    }
    const spec = rec.argc > 1 ? (commandSpec(name, rec.text(1).toUpperCase()) ?? commandSpec(name)) : commandSpec(name);
    if (spec && !arityOk(spec.arity, rec.argc)) this.arityWarning(rec, file, spec.arity);
  }

  private warn(kind: string, file: string, offset: number, message: string): void {
    const n = (this.warnCounts.get(kind) ?? 0) + 1;
    this.warnCounts.set(kind, n);
    if (n <= MAX_WARNINGS_PER_KIND) this.problems.push({ severity: 'warning', file, offset, message });
  }

  /** Finish: fold counters into the stats and add "N more" notes for capped warnings. */
  finish(): DetailedStats {
    const s = this.stats;
    this.foldKeyCounts();
    const names: [string, number][] = [];
    this.countById.forEach((n, id) => {
      if (n) names.push([commandNameById(id), n]);
    });
    names.sort((a, b) => b[1] - a[1]);
    s.commandsByName = Object.fromEntries(names);
    for (const [kind, n] of this.warnCounts) {
      if (n > MAX_WARNINGS_PER_KIND) {
        this.problems.push({ severity: 'warning', file: '', offset: -1, message: `(${n - MAX_WARNINGS_PER_KIND} more warnings like '${kind}')` });
      }
    }
    return s;
  }
}

function libraryName(code: Buffer): string {
  const head = code.subarray(0, 200).toString('latin1');
  const m = /name=([^\s]+)/.exec(head.split('\n')[0] ?? '');
  return m ? m[1]! : '(unnamed library)';
}

export function printableKeyText(key: Buffer): string {
  let s = '';
  const n = Math.min(key.length, 200);
  for (let i = 0; i < n; i++) {
    const b = key[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
  }
  if (key.length > n) s += `...(${key.length} bytes)`;
  return s;
}
