#!/usr/bin/env bash
# window on random disordered input (several keys, late and duplicate
# events, tumbling, sliding and gcd panes, allowed lateness) equals the
# brute-force computation in window_property.py, for a few seeds.
. "$(dirname "$0")/../lib.sh"      # pipefail: a failed python3 fails the pipe
for seed in 1 2 3; do
	if ! python3 "$ROOT/tests/integ/window_property.py" "$BIN/window" "$seed" |
		sed "s/^\(PASS\|FAIL\) window_property_/\1 window_property_seed${seed}_/"
	then
		fail "window_property_seed${seed}" "window_property.py or sed failed (status ${PIPESTATUS[*]})"
	fi
done
