# tests/lib.sh - helpers for shell tests; source it first.
#
#   pass NAME / fail NAME WHY      print a verdict for tests/run
#   check NAME CMD...              pass if CMD succeeds
#   check_eq NAME EXPECTED ACTUAL  pass if the strings are equal
#   T                              a fresh temp dir, removed at exit
#   at_exit CMD                    run CMD at exit (last registered first)
#   free_port                      print a free TCP port on 127.0.0.1
#   wait_for SECS CMD...           poll CMD until it succeeds or time is up
#   wait_until SECS 'SHELL CODE'   the same for code re-evaluated at each
#                                  poll (a condition on "$(...)")
#   wait_lines SECS FILE N         until FILE has at least N lines
#   stat_get FILE NAME             print counter NAME of a --stats FILE
#   wait_stat SECS FILE NAME N     until that counter is at least N
#   wait_read SECS FILE N          until the stage with --stats FILE has
#                                  read N input lines (lines_in)
#   wait_handler SECS PID [SIG]    until process PID catches SIG (TERM):
#                                  it has installed its signal handlers
#   wait_asleep SECS PID           until process PID is blocked (waiting for
#                                  input, a timer, a reply): it has done all
#                                  it could with what it was given so far
#   wait_gone SECS PID             until process PID has exited
#   wait_tcp_closed SECS PORT      until no accepted connection of a server
#                                  on local TCP PORT is open (each request
#                                  it took is answered or dropped)
#   start_redis [extra args]       redis-server on a free port: REDIS_PORT,
#                                  REDIS_PID, REDIS_URL
#   par_run N CMD...               run CMD in the background, at most N of
#                                  those at a time (for independent jobs that
#                                  measure no time), its output kept
#   par_wait                       wait for every par_run job, then print
#                                  their outputs in the order they started
#
# A wait's SECS is a generous maximum, not a pause: it returns as soon as
# the condition holds, so a slow machine (a sanitizer build, two cores
# shared with other jobs) takes longer without failing.  A check that
# nothing came out first waits until the stage has read its input (its
# stats, or a later line that did come out).
#
# Every pipeline runs under pipefail: a pipeline fails if any part does.
# A pipeline whose writer may legitimately die of SIGPIPE (its reader quits
# early, as head or grep -q do) must say so: read PIPESTATUS, or let the
# reader read everything.
set -u
set -o pipefail
: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BIN:=$ROOT/bin-san}"
: "${SAMPLES:=$ROOT/tests/data}"
export PATH=$BIN:$PATH

_exit_cmds=()
at_exit() { _exit_cmds=("$1" "${_exit_cmds[@]}"); }
_run_exit() {
	local c
	for c in "${_exit_cmds[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
}
trap _run_exit EXIT

T=$(mktemp -d /tmp/nwtest.XXXXXX)
[ -n "${KEEP_T:-}" ] || at_exit "rm -rf '$T'"   # KEEP_T=1: keep it to look at

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
check() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1" "expected [$2] got [$3]"; fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# The wall clock in milliseconds, without a fork.
_now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $(( 10#$t / 1000 )); }
# SECS (an integer or a decimal such as 1.5) in milliseconds.
_secs_ms() {
	local i=${1%%.*} f=${1#*.}
	[ "$f" = "$1" ] && f=0
	f=${f}000; f=${f:0:3}
	echo $(( 10#${i:-0} * 1000 + 10#$f ))
}

# Poll every 50 ms; the condition is tried once more at the deadline, so a
# wait never fails because the last poll came just too early.
wait_for() {
	local end=$(( $(_now_ms) + $(_secs_ms "$1") )); shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(_now_ms)" -ge "$end" ]; then
			"$@" >/dev/null 2>&1
			return
		fi
		sleep 0.05
	done
}
wait_until() { wait_for "$1" eval "$2"; }

_has_lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_lines() { wait_for "$1" _has_lines "$2" "$3"; }

# Every stage writes --stats FILE, one JSON line replaced atomically each
# second while it runs and once at exit: the counters say how far it got.
stat_get() { jq -r --arg k "$2" '.[$k] // empty' "$1" 2>/dev/null; }
_stat_atleast() {
	local v
	v=$(stat_get "$1" "$2") && [ -n "$v" ] && [ "$v" -ge "$3" ]
}
wait_stat() { wait_for "$1" _stat_atleast "$2" "$3" "$4"; }
# lib counts every stage's input lines under one name.
wait_read() { wait_stat "$1" "$2" lines_in "$3"; }

# A process catches SIG once the bit for it is set in SigCgt of
# /proc/PID/status; the shell that forked it does not count (it has not
# run the program yet).
_catches() {
	local pid=$1 bit mask
	bit=$(( $(kill -l "$2") - 1 ))
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" != "$(readlink -f "$BASH")" ] || return 1
	mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) &&
		[ -n "$mask" ] && (( (16#$mask >> bit) & 1 ))
}
wait_handler() { wait_for "$1" _catches "$2" "${3:-TERM}"; }

# State S in /proc/PID/stat (after the "(comm)" field): an interruptible
# sleep, such as poll or read on an empty input.
_asleep() {
	local st
	st=$(<"/proc/$1/stat") 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" = S ]
}
wait_asleep() { wait_for "$1" _asleep "$2"; }
_gone() { ! kill -0 "$1" 2>/dev/null; }
wait_gone() { wait_for "$1" _gone "$2"; }

# /proc/net/tcp{,6}: local address field 2 (hex port after the colon),
# state field 4: 01 ESTABLISHED, 08 CLOSE_WAIT (the peer closed, the server
# has not yet).
_tcp_closed() {
	awk -v p="$(printf '%04X' "$1")" 'FNR > 1 { split($2, a, ":")
		if (a[length(a)] == p && ($4 == "01" || $4 == "08")) n++ }
		END { exit n > 0 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
wait_tcp_closed() { wait_for "$1" _tcp_closed "$2"; }

start_redis() {
	REDIS_PORT=$(free_port)
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--appendonly no --dir "$T" "$@" >"$T/redis-$REDIS_PORT.log" 2>&1 &
	REDIS_PID=$!
	at_exit "kill $REDIS_PID"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT
	wait_for 10 redis-cli -p "$REDIS_PORT" ${REDIS_CLI_AUTH:-} ping
}

# Jobs of par_run: their pids, and their outputs $T/par.<index>.
_par_pids=()
par_run() {
	local n=$1 p live
	shift
	while :; do
		live=()
		for p in "${_par_pids[@]}"; do kill -0 "$p" 2>/dev/null && live+=("$p"); done
		[ "${#live[@]}" -ge "$n" ] || break
		wait -n "${live[@]}" 2>/dev/null
	done
	"$@" >"$T/par.${#_par_pids[@]}" 2>&1 &
	_par_pids+=($!)
}
par_wait() {
	local i
	for i in "${!_par_pids[@]}"; do
		wait "${_par_pids[i]}" 2>/dev/null
		cat "$T/par.$i"
	done
	_par_pids=()
}
