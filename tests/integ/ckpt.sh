#!/usr/bin/env bash
# ckpt: status of a checkpoint dir, savepoint of its restore point, restore
# into an empty dir; a damaged newest set falls back to the older one.
. "$(dirname "$0")/../lib.sh"

# snap DIR STAGE ID PAYLOAD: a snapshot file in the documented format.
snap() {
	python3 - "$@" <<'PY'
import os, sys, zlib
d, stage, i, payload = sys.argv[1:5]
p = payload.encode()
with open(os.path.join(d, "%s.%s.snap" % (stage, i)), "wb") as f:
    f.write(b"NWSNAP 1 %s %s %d %08x\n" % (stage.encode(), i.encode(), len(p), zlib.crc32(p)) + p)
PY
}

C=$T/ckpt; mkdir -p "$C"
out=$(ckpt status "$C")
check_eq status_empty "$(printf 'completed none\nrestore none')" "$out"

for i in 1 2 3; do
	snap "$C" kcat-src $i "{\"offsets\":[{\"topic\":\"t\",\"partition\":0,\"next\":$((i * 100))}]}"
	snap "$C" window $i "state $i"
done
snap "$C" kcat-src 4 'in flight'
echo 3 >"$C/completed"
out=$(ckpt status "$C")
check status_completed grep -qx 'completed 3' <<<"$out"
check status_restore grep -qx 'restore 3' <<<"$out"
check status_lists_every_snapshot test "$(grep -c '^snapshot .* ok ' <<<"$out")" = 7

# Damage window's 3: the restore point (and the savepoint) fall back to 2.
printf 'X' | dd of="$C/window.3.snap" bs=1 seek=30 conv=notrunc 2>/dev/null
out=$(ckpt status "$C" 2>"$T/err")
check damaged_is_reported grep -qx 'snapshot window 3 bad' <<<"$out"
check damaged_warns grep -q '^WARN ckpt: checkpoint .*window.3.snap is corrupt' "$T/err"
check restore_falls_back grep -qx 'restore 2' <<<"$out"

check_eq savepoint_prints_its_id 2 "$(ckpt savepoint "$C" "$T/sp" 2>/dev/null)"
check_eq savepoint_holds_the_set \
	"completed kcat-src.2.snap window.2.snap" "$(ls "$T/sp" | tr '\n' ' ' | sed 's/ $//')"
check savepoint_refuses_a_used_dir test "$(ckpt savepoint "$C" "$T/sp" 2>/dev/null; echo $?)" = 1

ckpt restore "$T/sp" "$T/new" 2>/dev/null
out=$(ckpt status "$T/new")
check restored_restore_point grep -qx 'restore 2' <<<"$out"
check_eq restored_payload "state 2" "$(sed -n 2p "$T/new/window.2.snap")"

check_eq not_a_savepoint 1 "$(ckpt restore "$T" "$T/other" 2>/dev/null; echo $?)"
check_eq bad_command_exits_2 2 "$(ckpt frobnicate 2>/dev/null; echo $?)"
