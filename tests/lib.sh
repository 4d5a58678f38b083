# tests/lib.sh - helpers for shell tests; source it first.
#
#   pass NAME / fail NAME WHY      print a verdict for tests/run
#   check NAME CMD...              pass if CMD succeeds
#   check_eq NAME EXPECTED ACTUAL  pass if the strings are equal
#   T                              a fresh temp dir, removed at exit
#   at_exit CMD                    run CMD at exit (last registered first)
#   free_port                      print a free TCP port on 127.0.0.1
#   wait_for SECS CMD...           poll CMD until it succeeds or time is up
#   start_redis [extra args]       redis-server on a free port: REDIS_PORT,
#                                  REDIS_PID, REDIS_URL
set -u
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
at_exit "rm -rf '$T'"

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

wait_for() {
	local secs=$1; shift
	local end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

start_redis() {
	REDIS_PORT=$(free_port)
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--appendonly no --dir "$T" "$@" >"$T/redis-$REDIS_PORT.log" 2>&1 &
	REDIS_PID=$!
	at_exit "kill $REDIS_PID"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT
	wait_for 10 redis-cli -p "$REDIS_PORT" ${REDIS_CLI_AUTH:-} ping
}
