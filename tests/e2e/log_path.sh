#!/usr/bin/env bash
# The log path end to end: syslog (sshd, sudo, netfilter; RFC 3164 and RFC
# 5424 mixed) over half an hour of ordinary traffic with four episodes, an
# ssh brute force, credential stuffing, a password spray on one account and
# a port scan seen by the firewall, through
#   normalize | window (10 min windows sliding by 1 min, keyed by source and
#   by user) | detect --rules detect/auth.json
# Every episode must give its alert, and nothing else may alert.
. "$(dirname "$0")/../lib.sh"

python3 - >"$T/logs" <<'PY'
import random, time
r = random.Random(17)
t0 = 1780000000                      # 2026-05-28 20:26:40 UTC
lines = []
def bsd(t):
    return time.strftime("%b %e %H:%M:%S", time.gmtime(t))
def sshd(t, text, host="gw1"):
    lines.append((t, "<38>%s %s sshd[%d]: %s" % (bsd(t), host, r.randint(1000, 60000), text)))
def sshd5424(t, text):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % r.randint(0, 999)
    lines.append((t, "<38>1 %s gw2 sshd %d - - %s" % (stamp, r.randint(1000, 60000), text)))
def fw(t, src, dport, flags="SYN"):
    lines.append((t, "<4>%s fw1 kernel: [%d.000000] DROP: IN=eth0 OUT= SRC=%s DST=192.0.2.%d LEN=60 "
                  "TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=%d DPT=%d WINDOW=29200 "
                  "RES=0x00 %s URGP=0" % (bsd(t), t - t0, src, r.randint(1, 20),
                  r.randint(30000, 60000), dport, flags)))
users = ["u%03d" % i for i in range(60)]
clients = ["10.1.%d.%d" % (i // 50, i % 50 + 1) for i in range(40)]
# Ordinary half hour: logins, the odd typo, sudo, firewall noise.
for k in range(1800):
    t = t0 + k
    u, c = r.choice(users), r.choice(clients)
    if k % 3 == 0:
        (sshd5424 if k % 2 else sshd)(t, "Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:x" % (u, c, r.randint(30000, 60000)))
    if k % 97 == 0:
        sshd(t, "Failed password for %s from %s port %d ssh2" % (u, c, r.randint(30000, 60000)))
    if k % 61 == 0:
        lines.append((t, "<85>%s gw1 sudo:   %s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/id" % (bsd(t), u, u)))
    if k % 5 == 0:
        fw(t, "198.51.100.%d" % r.randint(1, 200), r.choice([23, 445, 3389]))
    if k % 400 == 0:
        lines.append((t, "<30>%s gw1 systemd[1]: Started Daily apt download activities." % bsd(t)))
# ssh brute force: 50 failures on two accounts in 5 minutes.
for k in range(50):
    who = "root" if k % 5 else "invalid user admin"
    sshd(t0 + 300 + k * 6, "Failed password for %s from 203.0.113.10 port %d ssh2" % (who, 40000 + k))
# credential stuffing: 15 accounts, one try each.
for k in range(15):
    sshd(t0 + 700 + k * 15, "Failed password for %s from 203.0.113.20 port %d ssh2" % (users[k], 41000 + k))
# password spray on one account from 8 sources, 3 tries each.
for k in range(24):
    sshd(t0 + 1000 + k * 10, "Failed password for carol from 203.0.113.%d port %d ssh2" % (100 + k % 8, 42000 + k))
# firewall port scan: 60 ports in 2 minutes.
for k in range(60):
    fw(t0 + 1300 + k * 2, "198.51.100.77", 1000 + k)
# Half an hour later one line, so every window closes.
sshd(t0 + 3600, "Accepted publickey for u001 from 10.1.0.1 port 1 ssh2")
for t, l in sorted(lines, key=lambda x: x[0]):
    print(l)
PY

AGGS=(--agg 'failures=count_if(event = auth_failure)' --agg 'distinct(user)'
      --agg 'distinct(src_ip)' --agg 'distinct(dst_port)' --agg 'distinct(dst_ip)')
normalize --tz UTC --year 2026 --dead-letter "$T/nz.dl" --stats "$T/nz.stats" <"$T/logs" 2>"$T/nz.err" |
	window --key src_ip --key user --size 10m --slide 1m --missing-key skip \
		"${AGGS[@]}" --dead-letter "$T/w.dl" 2>"$T/w.err" |
	detect --rules "$ROOT/detect/auth.json" --dead-letter "$T/d.dl" 2>"$T/d.err" >"$T/alerts"
check_eq log_path_pipeline 0 $?
check_eq log_path_no_dead_letters 0 "$(cat "$T/nz.dl" "$T/w.dl" "$T/d.dl" 2>/dev/null | wc -l)"
check_eq log_path_every_line_normalized "$(wc -l <"$T/logs")" "$(stat_get "$T/nz.stats" signals_out)"
jq -r '"\(.rule) \(.key)"' "$T/alerts" | sort -u >"$T/got"
printf '%s\n' "credential_stuffing 203.0.113.20" "firewall_scan 198.51.100.77" \
	"password_spray carol" "ssh_brute_force 203.0.113.10" >"$T/want"
check_eq log_path_alerts "$(cat "$T/want")" "$(cat "$T/got")"
# Detection delay: each episode's first alert closes within 4 minutes of
# event time after its first line (at these rates the attacks need about
# two minutes to cross their thresholds, plus the slide).
delay() { jq -r --arg r "$1" 'select(.rule == $r and .status != "resolved") | .window_end' "$T/alerts" | sort -n | head -1; }
t0=1780000000000
for e in "ssh_brute_force 300" "credential_stuffing 700" "password_spray 1000" "firewall_scan 1300"; do
	set -- $e
	first=$(delay "$1")
	check "log_path_${1}_within_2_slides" test -n "$first" -a "$(( (first - t0) / 1000 - $2 ))" -le 240
done

# gen's log scenario, in both syslog formats, through the same chain with
# enrich (the demo's databases and blocklist) and the log window's flags
# (detect/auth.window): every episode of its --truth alerts, impossible
# travel included (dave, London then Tokyo), the two listed attackers
# alert (per source and list), and nothing else does: no account that
# stays in one country (carol, sprayed from eight addresses in Tokyo)
# travels.
D=$ROOT/detect
mapfile -t LW < <(grep -v '^#' "$D/auth.window")
for f in rfc3164 rfc5424; do
	gen --scenario logs --format "$f" --seed 7 --start-time 1780000000 \
		--truth "$T/truth.$f" 2>"$T/gen.$f.err" |
		normalize --tz UTC --year 2026 --dead-letter "$T/gnz.dl" 2>/dev/null |
		enrich --geoip "$D/demo-city.mmdb" --asn "$D/demo-asn.mmdb" \
			--list "blocklist=$D/demo-blocklist.txt" 2>/dev/null |
		window --key src_ip --key user "${LW[@]}" 2>/dev/null |
		detect --rules "$D/auth.json" 2>/dev/null >"$T/galerts.$f"
	check_eq "log_path_gen_${f}_pipeline" 0 $?
	check_eq "log_path_gen_${f}_no_dead_letters" 0 "$(wc -l <"$T/gnz.dl")"
	{ jq -r '"\(.kind) \(.key)"' "$T/truth.$f"
	  printf '%s\n' "listed_source 198.51.100.77|blocklist" "listed_source 203.0.113.10|blocklist"
	} | sort >"$T/gwant"
	jq -r '"\(.rule) \(.key)"' "$T/galerts.$f" | sort -u >"$T/ggot"
	check "log_path_gen_${f}_has_episodes" test "$(wc -l <"$T/gwant")" -ge 7
	check_eq "log_path_gen_${f}_alerts_match_truth" "$(cat "$T/gwant")" "$(cat "$T/ggot")"
	# the travel alert's window holds both logins of the episode
	check_eq "log_path_gen_${f}_travel_window" 1 "$(jq -s --slurpfile t "$T/truth.$f" '
		[.[] | select(.rule == "impossible_travel")][0] as $a
		| ($t[] | select(.kind == "impossible_travel")) as $e
		| if $a.window_start <= $e.start and $a.window_end > $e.start + 600000
		  then 1 else 0 end' "$T/galerts.$f")"
done
gen --scenario logs </dev/null >/dev/null 2>"$T/e"
check_eq log_path_gen_log_kind_needs_log_format 2 $?
check log_path_gen_log_kind_says_so grep -q 'is a log kind' "$T/e"
