#!/usr/bin/env bash
# Control lines pass through in order: after every record fired before
# them, before every record fired after them, never counted as events.
. "$(dirname "$0")/../lib.sh"
ctl1='{"@ctl":{"type":"barrier","id":1,"offsets":[{"topic":"t","partition":0,"next":3}]}}'
ctl2='{"@ctl":{"type":"barrier","id":2}}'
{
	echo '{"timestamp":1000,"src_ip":"a"}'
	echo "$ctl1"
	echo '{"timestamp":10000,"src_ip":"b"}'     # fires [0,10000)
	echo "$ctl2"
	echo '{"@ctl":1,"x":2}'                     # not a control line
	echo '{"timestamp":20000,"src_ip":"c"}'     # fires [10000,20000)
} >"$T/in"
window --time-unit ms --size 10s --slide 10s --out-of-orderness 0 \
	--dead-letter "$T/dlq" --stats "$T/stats" <"$T/in" >"$T/out" 2>"$T/err"
check window_ctl_exit_0 [ $? -eq 0 ]
got=$(sed -e 's/^{"type":"window","key_field":"src_ip","key":"\([a-z]\)".*"window_end":\([0-9]*\),.*/\1@\2/' "$T/out" | tr '\n' ' ')
check_eq window_ctl_forwarded_in_order "$ctl1 a@10000 $ctl2 b@20000 c@30000 " "$got"
check_eq window_ctl_not_counted 3 \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$T/stats")"
check_eq window_ctl_counted_as_ctl 2 \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ctl_lines"])' "$T/stats")"
check window_ctl_lookalike_is_dead_letter grep -q '"reason":"missing timestamp"' "$T/dlq"
