#!/usr/bin/env bash
# notify under load: a 10,000-alert storm coalesces into a handful of digest
# posts with every alert recorded delivered once; SIGKILL mid-storm and a
# restart on the same spool (with the input replayed) posts every alert
# exactly once.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/webhook.sh"

start_webhook 200
export WEBHOOK_URL=$WH_BASE/hooks/storm
dups() { wh_ids | sort | uniq -d | wc -l; }
uniq_ids() { wh_ids | sort -u | wc -l; }

# 1. The storm: default rate 1/s.
mkalerts 10000 s >"$T/storm"
start=$(date +%s)
notify --spool "$T/sp1" --stats "$T/stats1" <"$T/storm" >"$T/storm.out" 2>"$T/storm.err"
check_eq notify_storm_exit 0 $?
posts=$(wh_count)
[ "$posts" -ge 1 ] && [ "$posts" -le 5 ] && pass notify_storm_few_posts ||
	fail notify_storm_few_posts "$posts posts"
check_eq notify_storm_all_recorded 10000 "$(grep -c '"status":"delivered"' "$T/storm.out")"
check_eq notify_storm_all_posted 10000 "$(uniq_ids)"
check_eq notify_storm_none_twice 0 "$(dups)"
check notify_storm_digest_logged grep -q 'posting a digest alerts=' "$T/storm.err"
check notify_storm_stats python3 -c "
import json; s=json.load(open('$T/stats1')); assert s['delivered']==10000 and s['digests']>=1, s"
check notify_storm_journal_compacted test "$(grep -c '^+ ' "$T/sp1/journal")" -eq 0

# 2. SIGKILL mid-storm, restart on the same spool with the input replayed.
: >"$WH_LOG"
mkalerts 3000 k >"$T/k"
mkfifo "$T/fifo"
notify --spool "$T/sp2" --rate 20/s --retry-min 100ms --retry-max 300ms \
	<"$T/fifo" >"$T/k1.out" 2>"$T/k1.err" &
npid=$!
( head -n 1000 "$T/k"; sleep 1; sed -n 1001,2000p "$T/k"; sleep 30; tail -n +2001 "$T/k" ) >"$T/fifo" &
fpid=$!
at_exit "kill $fpid $npid"
wait_for 10 wh_atleast 3
wh_steps 500
# Kill while the receiver fails every post: nothing is half-delivered then.
wait_for 10 grep -q '"status": 500' "$WH_LOG"
kill -KILL $npid; wait $npid 2>/dev/null
kill $fpid 2>/dev/null; wait $fpid 2>/dev/null
first=$(uniq_ids)
[ "$first" -gt 0 ] && [ "$first" -lt 3000 ] && pass notify_kill_mid_storm ||
	fail notify_kill_mid_storm "$first delivered before the kill"
wh_steps 200
notify --spool "$T/sp2" --rate 20/s <"$T/k" >"$T/k2.out" 2>"$T/k2.err"
check_eq notify_restart_exit 0 $?
check_eq notify_restart_all_posted 3000 "$(uniq_ids)"
check_eq notify_restart_none_twice 0 "$(dups)"
check_eq notify_restart_delivered_once_in_records 3000 \
	"$(cat "$T/k1.out" "$T/k2.out" | grep -c '"status":"delivered"')"
# The 2000 alerts fed before the kill were delivered or spooled: their
# replayed copies are duplicates; the last 1000 are new.
check_eq notify_restart_duplicates_recorded 2000 \
	"$(grep -c '"status":"duplicate"' "$T/k2.out")"
