#!/usr/bin/env bash
# Regenerate fixtures/redis-7.0/ : real RDB and AOF files written by the redis-server on PATH
# (Debian's 7.0.15 in CI) from scripts/dataset.redis, each with an expected.json beside it.
#
#   scripts/gen-fixtures.sh                 # writes fixtures/redis-7.0/
#   OUT=/tmp/x scripts/gen-fixtures.sh      # somewhere else
#   ALLOW_ANY_VERSION=1 scripts/gen-fixtures.sh   # with a server that is not 7.0.x
#
# Servers listen on 127.0.0.1 only, on a free port, in a temp dir that is always removed.
# Each output is checked before it is kept: a fresh server loads it and must reproduce the
# DEBUG DIGEST and the key count of every db; redis-check-rdb / redis-check-aof must accept it.
# File contents are deterministic except for what Redis stamps with the clock (RDB aux
# ctime/used-mem, PEL delivery and consumer seen times, LRU idle / LFU counters, #TS: lines,
# the expiry of the decade-long relative TTLs), so digests differ from run to run.
#
# expected.json: { server, generator, dataset, variant, config, notes, keyEncoding, digest,
#   dbsize: {"<db>": n}, functions: [...], keys: {"<db>": {"<key>": {type, encoding, expireMs,
#   length, digest}}} }. Keys are JSON strings whose code points U+0000..U+00FF are the key's
#   bytes (latin1): Buffer.from(k, 'latin1') gives the key back. expireMs is absolute Unix ms
#   (-1: none); length is STRLEN/LLEN/SCARD/ZCARD/HLEN/XLEN; digest is DEBUG DIGEST-VALUE.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATASET="$ROOT/scripts/dataset.redis"
OUT=${OUT:-$ROOT/fixtures/redis-7.0}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
HOST=127.0.0.1

die() { echo "gen-fixtures: $*" >&2; exit 1; }
log() { echo "gen-fixtures: $*" >&2; }

command -v "$REDIS_SERVER" >/dev/null || die "$REDIS_SERVER not on PATH"
command -v "$REDIS_CLI" >/dev/null || die "$REDIS_CLI not on PATH"
VERSION=$("$REDIS_SERVER" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
case "$VERSION" in
  7.0.*) ;;
  *) [ "${ALLOW_ANY_VERSION:-}" = 1 ] || die "redis-server is $VERSION, expected 7.0.x (set ALLOW_ANY_VERSION=1 to go on)" ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/redkit-gen-XXXXXX")
SPID= # the one server running at a time (a child of this shell), empty when none
cleanup() {
  if [ -n "$SPID" ]; then kill -9 "$SPID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# server lifecycle

PORT=
SDIR=

port_in_use() { (: <"/dev/tcp/$HOST/$1") 2>/dev/null; }

# start_server NAME [--option value ...]: fresh dir $WORK/NAME (or the existing one), free port.
start_server() {
  local name=$1; shift
  SDIR="$WORK/$name"
  mkdir -p "$SDIR"
  local attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    PORT=$(( 20000 + (RANDOM * 32768 + RANDOM) % 30000 ))
    port_in_use "$PORT" && continue
    rm -f "$SDIR/redis.log"
    "$REDIS_SERVER" --port "$PORT" --bind "$HOST" --dir "$SDIR" --logfile "$SDIR/redis.log" \
      --daemonize no --save '' --enable-debug-command yes "$@" >"$SDIR/stdout.log" 2>&1 &
    SPID=$!
    local i
    for i in $(seq 1 400); do
      if ! kill -0 "$SPID" 2>/dev/null; then break; fi
      if [ "$(cli PING 2>/dev/null)" = PONG ]; then return 0; fi
      sleep 0.05
    done
    if kill -0 "$SPID" 2>/dev/null; then
      kill -9 "$SPID"; wait "$SPID" 2>/dev/null || true
      SPID=
      die "server $name did not answer PING: $(tail -20 "$SDIR/redis.log" 2>/dev/null)"
    fi
    wait "$SPID" 2>/dev/null || true
    SPID=
    grep -q "Address already in use" "$SDIR/redis.log" "$SDIR/stdout.log" 2>/dev/null && continue
    die "server $name failed to start: $(cat "$SDIR/stdout.log"; tail -20 "$SDIR/redis.log" 2>/dev/null)"
  done
  die "no free port found"
}

cli() { "$REDIS_CLI" -h "$HOST" -p "$PORT" "$@"; }

stop_server() {
  cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  wait "$SPID" 2>/dev/null || true
  SPID=
}

# Run redis-cli syntax on stdin; fail on any error reply (redis-cli prints them as plain text).
run_script() {
  local out
  out=$(cli 2>&1) || die "redis-cli failed: $out"
  if grep -En '^(ERR|WRONGTYPE|NOSCRIPT|BUSY|BUSYKEY|BUSYGROUP|NOGROUP|EXECABORT|NOPERM|OOM|MISCONF|READONLY|LOADING)( |$)' <<<"$out" >&2; then
    die "error replies while running a script against $SDIR"
  fi
}

load_dataset() { run_script <"$DATASET"; }

wait_persistence() {
  local i info
  for i in $(seq 1 1200); do
    info=$(cli INFO persistence | tr -d '\r')
    if grep -q '^rdb_bgsave_in_progress:0' <<<"$info" && grep -q '^aof_rewrite_in_progress:0' <<<"$info" &&
      grep -q '^aof_rewrite_scheduled:0' <<<"$info"; then
      return 0
    fi
    sleep 0.05
  done
  die "persistence still busy"
}

rewrite_aof() {
  wait_persistence
  [ "$(cli BGREWRITEAOF)" != "" ] || die "BGREWRITEAOF failed"
  sleep 0.1
  wait_persistence
  grep -q '^aof_last_bgrewrite_status:ok' <<<"$(cli INFO persistence | tr -d '\r')" || die "AOF rewrite failed"
}

# ---------------------------------------------------------------------------------------------
# expected.json

# One Lua script, two modes. 'cli': for every db a `DEBUG DIGEST-VALUE k1 k2 ...` line in
# redis-cli syntax (DEBUG is not callable from Lua). 'json': the dbsize and keys members, with
# the digests from the first pass as ARGV, in the same (bytewise sorted) key order.
read -r -d '' KEYS_LUA <<'LUA' || true
local mode, ndb = ARGV[1], tonumber(ARGV[2])
local function lt(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function quote(s, json)
  local t = { '"' }
  for i = 1, #s do
    local c = s:byte(i)
    if c == 34 or c == 92 then t[#t + 1] = '\\' .. string.char(c)
    elseif c < 32 or c > 126 then t[#t + 1] = string.format(json and '\\u%04x' or '\\x%02x', c)
    else t[#t + 1] = string.char(c) end
  end
  t[#t + 1] = '"'
  return table.concat(t)
end
local lenCmd = { string = 'STRLEN', list = 'LLEN', set = 'SCARD', zset = 'ZCARD', hash = 'HLEN', stream = 'XLEN' }
local out, sizes, dbs, di = {}, {}, {}, 3
for db = 0, ndb - 1 do
  redis.call('SELECT', db)
  local ks = redis.call('KEYS', '*')
  if #ks > 0 then
    table.sort(ks, lt)
    if mode == 'cli' then
      out[#out + 1] = 'SELECT ' .. db
      local q = { 'DEBUG DIGEST-VALUE' }
      for _, k in ipairs(ks) do q[#q + 1] = quote(k, false) end
      out[#out + 1] = table.concat(q, ' ')
    else
      sizes[#sizes + 1] = '    "' .. db .. '": ' .. #ks
      local e = {}
      for _, k in ipairs(ks) do
        local ty = redis.call('TYPE', k)['ok']
        local enc = redis.call('OBJECT', 'ENCODING', k)
        local exp = redis.call('PEXPIRETIME', k)
        local len = redis.call(lenCmd[ty], k)
        local dg = ARGV[di] or error('not enough digests')
        di = di + 1
        e[#e + 1] = string.format('      %s: { "type": "%s", "encoding": "%s", "expireMs": %.0f, "length": %.0f, "digest": "%s" }',
          quote(k, true), ty, enc, exp, len, dg)
      end
      dbs[#dbs + 1] = '    "' .. db .. '": {\n' .. table.concat(e, ',\n') .. '\n    }'
    end
  end
end
if mode == 'cli' then return table.concat(out, '\n') .. '\n' end
if ARGV[di] ~= nil then error('too many digests') end
return '  "dbsize": {\n' .. table.concat(sizes, ',\n') .. '\n  },\n  "keys": {\n' .. table.concat(dbs, ',\n') .. '\n  }'
LUA

CONFIG_NAMES=(rdbcompression rdbchecksum maxmemory-policy appendonly aof-use-rdb-preamble
  aof-timestamp-enabled list-compress-depth list-max-listpack-size hash-max-listpack-entries
  hash-max-listpack-value set-max-intset-entries zset-max-listpack-entries
  zset-max-listpack-value stream-node-max-bytes stream-node-max-entries)

json_escape() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' <<<"$1"; }

# write_expected FILE VARIANT NOTES: describe what the running server holds.
write_expected() {
  local file=$1 variant=$2 notes=$3
  local ndb digests n body config="" name value funcs
  ndb=$(cli CONFIG GET databases | sed -n 2p)
  digests=$(cli --raw EVAL "$KEYS_LUA" 0 cli "$ndb" | cli | grep -E '^[0-9a-f]{40}$' || true)
  n=$(cli INFO keyspace | tr -d '\r' | sed -n 's/^db[0-9]*:keys=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
  [ "$(grep -c . <<<"$digests")" = "$n" ] || die "got $(grep -c . <<<"$digests") value digests for $n keys"
  # shellcheck disable=SC2086
  body=$(cli --raw EVAL "$KEYS_LUA" 0 json "$ndb" $digests)
  for name in "${CONFIG_NAMES[@]}"; do
    value=$(cli CONFIG GET "$name" | sed -n 2p)
    config+="${config:+,
}    \"$name\": \"$(json_escape "$value")\""
  done
  funcs=$(cli FUNCTION LIST | awk 'prev == "library_name" { printf "%s\"%s\"", sep, $0; sep = ", " } { prev = $0 }')
  cat >"$file" <<EOF
{
  "server": "$(cli INFO server | tr -d '\r' | sed -n 's/^redis_version://p')",
  "generator": "scripts/gen-fixtures.sh",
  "dataset": "scripts/dataset.redis",
  "variant": "$variant",
  "config": {
$config
  },
  "notes": "$(json_escape "$notes")",
  "keyEncoding": "latin1: each code point U+0000..U+00FF of a key is one byte of the key",
  "digest": "$(cli DEBUG DIGEST)",
$body,
  "functions": [$funcs]
}
EOF
}

# verify NAME EXPECTED_JSON [--option value ...]: a fresh server on a copy of the files must
# reproduce the digest and every db's key count.
verify() {
  local name=$1 expected=$2; shift 2
  start_server "$name" "$@"
  local want got want_sizes got_sizes
  want=$(sed -n 's/^  "digest": "\([0-9a-f]*\)",$/\1/p' "$expected")
  got=$(cli DEBUG DIGEST)
  [ "$want" = "$got" ] || die "$name: digest $got after reload, expected $want"
  want_sizes=$(sed -n '/^  "dbsize": {/,/^  }/p' "$expected" | sed -n 's/^ *"\([0-9]*\)": \([0-9]*\),\{0,1\}$/db\1=\2/p' | sort)
  got_sizes=$(cli INFO keyspace | tr -d '\r' | sed -n 's/^db\([0-9]*\):keys=\([0-9]*\).*/db\1=\2/p' | sort)
  [ "$want_sizes" = "$got_sizes" ] || die "$name: key counts after reload differ: $got_sizes vs $want_sizes"
  stop_server
  log "  verified: reload reproduces digest $got"
}

# Commands applied after the dataset (after the rewrite for the multi-part AOF variants).
POST_COMMANDS='SELECT 0
SET post:str after-rewrite
INCR str:counter
RPUSH list:small post
DEL str:embstr
EXPIRE hash:small 315360000
XADD stream:main 5-0 name post
EVAL "redis.call('"'SET'"', KEYS[1], '"'by-script'"') redis.call('"'INCR'"', KEYS[2])" 2 post:script str:int:0
SELECT 3
SET post:db3 v
MULTI
SET post:tx 1
INCR post:tx
SADD post:txset a
EXEC
SELECT 1
DEL db1:only
SELECT 0'

# ---------------------------------------------------------------------------------------------
# variants

STAGE="$WORK/out"
mkdir -p "$STAGE"

# rdb_variant VARIANT NOTES [--option value ...]
rdb_variant() {
  local variant=$1 notes=$2; shift 2
  log "$variant"
  start_server "$variant" "$@"
  load_dataset
  [ "$(cli SAVE)" = OK ] || die "SAVE failed"
  mkdir -p "$STAGE/$variant"
  cp "$SDIR/dump.rdb" "$STAGE/$variant/dump.rdb"
  write_expected "$STAGE/$variant/expected.json" "$variant" "$notes"
  stop_server
  "${REDIS_CHECK_RDB:-redis-check-rdb}" "$STAGE/$variant/dump.rdb" >"$WORK/check.log" 2>&1 ||
    die "redis-check-rdb refused $variant: $(tail -5 "$WORK/check.log")"
  mkdir -p "$WORK/verify-$variant"
  cp "$STAGE/$variant/dump.rdb" "$WORK/verify-$variant/dump.rdb"
  verify "verify-$variant" "$STAGE/$variant/expected.json"
}

# aof_variant VARIANT NOTES STEPS [--option value ...]; STEPS is a function run after start.
aof_variant() {
  local variant=$1 notes=$2 steps=$3; shift 3
  log "$variant"
  start_server "$variant" --appendonly yes "$@"
  "$steps"
  wait_persistence
  mkdir -p "$STAGE/$variant"
  write_expected "$STAGE/$variant/expected.json" "$variant" "$notes"
  stop_server # SHUTDOWN flushes and fsyncs the AOF
  cp -r "$SDIR/appendonlydir" "$STAGE/$variant/appendonlydir"
  local manifest="$STAGE/$variant/appendonlydir/appendonly.aof.manifest" f
  [ -f "$manifest" ] || die "$variant: no manifest"
  # Keep only what the manifest lists (history files are deleted by Redis, but be sure).
  for f in "$STAGE/$variant/appendonlydir"/*; do
    [ "$(basename "$f")" = appendonly.aof.manifest ] && continue
    grep -q "^file $(basename "$f") " "$manifest" || rm -f "$f"
  done
  (cd "$STAGE/$variant/appendonlydir" && "${REDIS_CHECK_AOF:-redis-check-aof}" appendonly.aof.manifest) >"$WORK/check.log" 2>&1 ||
    die "redis-check-aof refused $variant: $(tail -5 "$WORK/check.log")"
  mkdir -p "$WORK/verify-$variant"
  cp -r "$STAGE/$variant/appendonlydir" "$WORK/verify-$variant/appendonlydir"
  verify "verify-$variant" "$STAGE/$variant/expected.json" --appendonly yes --appenddirname appendonlydir
}

steps_rewrite_then_post() {
  load_dataset
  rewrite_aof
  run_script <<<"$POST_COMMANDS"
}

steps_timestamped() {
  load_dataset
  rewrite_aof
  local i
  for i in 1 2 3 4; do
    sleep 1.1 # a new second: a new #TS: line before the next command
    run_script <<EOF
SELECT 0
SET ts:key:$i value-$i
INCR ts:counter
RPUSH ts:list $i
SELECT 2
HSET ts:hash f$i $i
EOF
  done
  run_script <<<"$POST_COMMANDS"
}

steps_plain() {
  load_dataset
  run_script <<<"$POST_COMMANDS"
}

rdb_variant rdb 'default config: rdbcompression yes, rdbchecksum yes; SAVE after the dataset'
rdb_variant rdb-nocompress 'rdbcompression no: no LZF strings (quicklist nodes already compressed in memory are still written as LZF blobs)' --rdbcompression no
rdb_variant rdb-nochecksum 'rdbchecksum no: the 8-byte trailer is zero' --rdbchecksum no
rdb_variant rdb-lfu 'maxmemory-policy allkeys-lfu: every key has a FREQ opcode (RDB_OPCODE_FREQ 0xf9); counters are probabilistic' --maxmemory-policy allkeys-lfu
rdb_variant rdb-lru 'maxmemory-policy allkeys-lru: every key has an IDLE opcode (RDB_OPCODE_IDLE 0xf8); idle times depend on timing' --maxmemory-policy allkeys-lru

aof_variant aof-preamble-yes 'appendonly yes, aof-use-rdb-preamble yes: dataset, BGREWRITEAOF (RDB base), then the post commands in the incr file' \
  steps_rewrite_then_post --aof-use-rdb-preamble yes
aof_variant aof-preamble-no 'appendonly yes, aof-use-rdb-preamble no: dataset, BGREWRITEAOF (RESP base), then the post commands in the incr file' \
  steps_rewrite_then_post --aof-use-rdb-preamble no
aof_variant aof-timestamp 'appendonly yes, aof-timestamp-enabled yes, aof-use-rdb-preamble no: dataset, BGREWRITEAOF (RESP base starting with #TS:), then commands over 4+ seconds (several #TS: lines in the incr file), then the post commands' \
  steps_timestamped --aof-use-rdb-preamble no --aof-timestamp-enabled yes
aof_variant aof-plain 'appendonly yes, aof-use-rdb-preamble no, no rewrite: Redis 7.0 creates an empty base (0-byte RESP file) at startup; the incr file holds the raw command stream of the dataset and the post commands (MULTI/EXEC, script effects, SELECTs, relative expiries turned absolute)' \
  steps_plain --aof-use-rdb-preamble no

# Everything verified: replace the outputs.
mkdir -p "$OUT"
for d in "$STAGE"/*; do
  rm -rf "${OUT:?}/$(basename "$d")"
  cp -r "$d" "$OUT/"
done
log "wrote $(find "$OUT" -type f | wc -l) files to $OUT ($(du -sh "$OUT" | cut -f1))"
