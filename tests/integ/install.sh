# make install into a temporary DESTDIR: every program and script under its
# netwatch- name, a man page for each that renders without a warning and
# lists the same flags as its --help, --version from the installed copies,
# the installed scripts running the installed programs, the systemd unit
# (systemd-analyze verify, when systemd is there), the environment file's
# mode; then make uninstall leaves no file behind.
. "$(dirname "$0")/../lib.sh"
D=$T/dest
P=/usr/local
make -s -C "$ROOT" install PREFIX=$P DESTDIR="$D" >"$T/install.out" 2>&1
check_eq install_exit 0 $?
B=$D$P/bin
M=$D$P/share/man/man1
# Only the installed copies: no checkout bin/ on this PATH.
IPATH=$B:/usr/bin:/bin

progs=$(sed -n 's/^PROGS += //p' "$ROOT"/*/build.mk | tr ' ' '\n' | sort)
scripts="supervise replay status savepoint demo"
names="$progs $scripts"
missing=
for n in $names; do
	[ -x "$B/netwatch-$n" ] || missing+=" bin/netwatch-$n"
	[ -f "$M/netwatch-$n.1" ] || missing+=" man1/netwatch-$n.1"
done
check_eq install_every_program_script_and_page "" "$missing"
check install_rules test -s "$D$P/share/netwatch/rules.json"
PATH=$IPATH netwatch-detect --rules "$D$P/share/netwatch/auth.json" --check >/dev/null 2>&1
check_eq install_log_path_rules_load 0 $?
check_eq install_rules_are_the_builtin_ones "$(cat "$ROOT/detect/rules.json")" \
	"$(PATH=$IPATH netwatch-detect --print-default-rules)"
check_eq install_patterns_are_the_builtin_ones "$(cat "$ROOT/normalize/patterns.json")" \
	"$(PATH=$IPATH netwatch-normalize --print-builtin)"
check_eq install_env_file_mode_600 600 "$(stat -c %a "$D$P/etc/netwatch/netwatch.env")"
check install_unit test -s "$D$P/lib/systemd/system/netwatch@.service"

# Every page renders without a warning, and tells the story of --help: the
# long flags of --help all appear in the page, and its OPTIONS section
# names no flag --help does not.
flags() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
options_section() { sed -n '/^OPTIONS$/,/^[A-Z]/p' | sed '1d;$d'; }
bad_render= bad_flags=
for n in $names; do   # rendered side by side: man takes a while per page
	{ MANWIDTH=200 man --warnings -l "$M/netwatch-$n.1" >"$T/$n.txt" 2>"$T/$n.warn"
	  echo $? >"$T/$n.rc"; } &
done
wait
for n in $names; do
	if [ "$(cat "$T/$n.rc")" != 0 ] || [ -s "$T/$n.warn" ] || ! [ -s "$T/$n.txt" ]; then
		bad_render+=" $n: $(head -c 200 "$T/$n.warn")"
	fi
	PATH=$IPATH "netwatch-$n" --help 2>&1 | flags >"$T/$n.help"
	flags <"$T/$n.txt" >"$T/$n.man"
	options_section <"$T/$n.txt" | flags >"$T/$n.opts"
	only_help=$(comm -23 "$T/$n.help" "$T/$n.man" | tr '\n' ' ')
	only_page=$(comm -13 "$T/$n.help" "$T/$n.opts" | tr '\n' ' ')
	[ -z "$only_help$only_page" ] ||
		bad_flags+=" $n: not in the page: [$only_help] not in --help: [$only_page];"
	[ -s "$T/$n.help" ] || bad_flags+=" $n: no flags in --help;"
done
check_eq install_man_pages_render_without_warnings "" "$bad_render"
check_eq install_man_pages_match_help "" "$bad_flags"

bad=
for n in $names; do
	v=$(PATH=$IPATH "netwatch-$n" --version 2>&1) && [[ $v == *"(netwatch) "[0-9]* ]] ||
		bad+=" $n:[$v]"
done
check_eq install_version_from_destdir "" "$bad"

# The installed scripts run the installed programs (netwatch-window, ...).
PATH=$IPATH netwatch-gen --count 5000 --eps 0 --start-time 1763700000 \
	--seed 3 >"$T/events" 2>/dev/null
PATH=$IPATH netwatch-replay --no-throttle "$T/events" >"$T/alerts" 2>"$T/replay.err"
check_eq install_replay_exit 0 $?
check install_replay_alerts test -s "$T/alerts"
check install_replay_finds_installed_programs grep -qE '^replay: events 5000,' "$T/replay.err"
# --normalize finds the installed log rules and normalize.
for k in $(seq 0 29); do
	printf 'Dec  1 08:0%d:%02d gw sshd[7]: Failed password for root from 203.0.113.9 port %d ssh2\n' \
		$((k / 10)) $((k % 10 * 6)) $((40000 + k))
done >"$T/auth.log"
check install_replay_share_dir_set grep -qx "share_dir=$P/share/netwatch" "$B/netwatch-replay"
PATH=$IPATH NETWATCH_SHARE_DIR=$D$P/share/netwatch \
	netwatch-replay --no-throttle --normalize "$T/auth.log" >"$T/log-alerts" 2>"$T/log.err"
check_eq install_replay_normalize_alert "ssh_brute_force 203.0.113.9" \
	"$(jq -r '"\(.rule) \(.key)"' "$T/log-alerts" 2>/dev/null | sort -u)"
PATH=$IPATH timeout 30 netwatch-supervise -d "$T/run" -i "$T/events" -- \
	netwatch-window -- netwatch-detect >"$T/sup.out" 2>"$T/sup.err"
check_eq install_supervise_exit 0 $?
check install_supervise_names_stages_plainly test -e "$T/run/2-detect.log"
check_eq install_supervise_same_alerts "$(wc -l <"$T/alerts")" "$(wc -l <"$T/sup.out")"

# The unit, with the DESTDIR in its paths (systemd checks that ExecStart
# is there) and the pages on MANPATH (it checks Documentation= too).
if command -v systemd-analyze >/dev/null; then
	sed "s|$P/|$D$P/|g" "$D$P/lib/systemd/system/netwatch@.service" >"$T/netwatch@edge.service"
	MANPATH=$D$P/share/man systemd-analyze verify "$T/netwatch@edge.service" >"$T/verify" 2>&1
	rc=$?
	check_eq install_unit_verifies "0 " "$rc $(tr '\n' ' ' <"$T/verify")"
else
	pass install_unit_verify_skipped_no_systemd
fi

make -s -C "$ROOT" uninstall PREFIX=$P DESTDIR="$D" >"$T/uninstall.out" 2>&1
check_eq uninstall_exit 0 $?
check_eq uninstall_leaves_no_file "" "$(find "$D" ! -type d)"
