#!/usr/bin/env bash
# End-to-end alert latency, window | detect, at 15,000 events/s.
python3 "$ROOT/tests/bench/latency.py" "$BIN" "${LATENCY_EPS:-15000}" "${LATENCY_SECS:-45}"
