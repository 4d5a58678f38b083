#!/usr/bin/env bash
# kcat-src -G: two consumers in one group split the partitions and together
# see every message exactly once; SIGTERM commits and exits 0, so the group
# resumes after the last message written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kcat-src.lib"

start_devbroker --brokers 3 --topic grp:6
# Short session timeout: the dev broker's coordinator waits for it before
# rebalancing after a member leaves.
GX=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=300)
for i in $(seq 20); do cat "$SAMPLES/upstream-events.ndjson"; done |
	awk '{ sub(/^\{/, "{\"seq\":" NR ","); print }' >"$T/in"   # unique lines
N=$(nlines "$T/in")

kcat-src -b "$BS" -t grp -G g1 "${GX[@]}" >"$T/c1" 2>"$T/c1.log" &
C1=$!; at_exit "kill $C1"
wait_for 20 grep -q '^INFO.*assigned' "$T/c1.log"
kcat-src -b "$BS" -t grp -G g1 "${GX[@]}" >"$T/c2" 2>"$T/c2.log" &
C2=$!; at_exit "kill $C2"
wait_for 30 grep -q '^INFO.*assigned topic' "$T/c2.log"
check group_second_member_assigned grep -q 'assigned topic' "$T/c2.log"
check group_first_member_revoked grep -q 'revoked topic' "$T/c1.log"

kcat-src -P -b "$BS" -t grp --key-field src_ip <"$T/in" 2>/dev/null
wait_for 30 have_lines "$N" "$T/c1" "$T/c2"
# No pause for the periodic commits: what SIGTERM commits is what is tested.
# Both at once, so neither commits while the other's leaving rebalances it.
kill -TERM $C1 $C2
wait $C1; rc1=$?
wait $C2; rc2=$?
check_eq group_sigterm_exit_0 "0 0" "$rc1 $rc2"
check group_split_between_members test "$(nlines "$T/c1")" -gt 0 -a "$(nlines "$T/c2")" -gt 0
check_eq group_every_message_once "$(sort "$T/in" | md5sum)" "$(data_lines "$T/c1" "$T/c2" | sort | md5sum)"
# the partitions each member owned at the end do not overlap
last_assign() { awk '/stop requested/ { exit } /revoked topic/ { delete a }
	/assigned topic/ { a[$5] = 1 }
	END { for (p in a) print p }' "$1" | sort; }
check_eq group_partitions_disjoint "" "$(sort <(last_assign "$T/c1.log") <(last_assign "$T/c2.log") | uniq -d)"
check_eq group_partitions_cover_topic 6 "$(cat <(last_assign "$T/c1.log") <(last_assign "$T/c2.log") | sort -u | wc -l)"

# After SIGTERM the committed offsets hold: a new member reads only what
# came after.
head -n 50 "$T/in" | sed 's/"seq":/"seq2":/' >"$T/more"
kcat-src -P -b "$BS" -t grp --key-field src_ip <"$T/more" 2>/dev/null
timeout 60 kcat-src -b "$BS" -t grp -G g1 "${GX[@]}" -e >"$T/c3" 2>"$T/c3.log"
check_eq group_resume_exit_0 0 "$?"
check_eq group_resume_after_commit "$(sort "$T/more" | md5sum)" "$(data_lines "$T/c3" | sort | md5sum)"

# EPIPE: exit 3, and nothing that was not written is committed: what the
# reader took plus what the group reads next is everything.
kcat-src -b "$BS" -t grp -G g2 "${GX[@]}" 2>"$T/e.log" | head -n 1 >"$T/head"
check_eq group_epipe_exit_3 3 "${PIPESTATUS[0]}"
timeout 60 kcat-src -b "$BS" -t grp -G g2 "${GX[@]}" -e >"$T/after" 2>/dev/null
check_eq group_epipe_nothing_lost "$(cat "$T/in" "$T/more" | sort | md5sum)" \
	"$(data_lines "$T/head" "$T/after" | sort -u | md5sum)"

# An unknown topic with -e: one ERROR line, exit 1, and no topic created.
kcat-src -b "$BS" -t no-such-topic -G g3 -e >/dev/null 2>"$T/unk.log"
check_eq group_unknown_topic_exit_1 1 "$?"
check group_unknown_topic_one_error test "$(grep -c '^ERROR' "$T/unk.log")" -eq 1
kcat -L -b "$BS" >"$T/meta" 2>/dev/null
check_eq group_unknown_topic_not_created 0 "$(grep -c no-such-topic "$T/meta")"
