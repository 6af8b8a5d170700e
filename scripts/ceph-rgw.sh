#!/usr/bin/env bash
# Ceph RADOS Gateway for the tests: a real S3 (SigV4, versioning, lifecycle,
# ListObjectVersions, UploadPartCopy) on loopback, the reference the artifacts
# tests check against where the embedded server (s3rver) has no such feature.
# Single node, no systemd, all state under DIR (run as root in CI).
#   scripts/ceph-rgw.sh start DIR PORT ACCESS_KEY SECRET_KEY
#   scripts/ceph-rgw.sh stop  DIR
# Ports: radosgw (beast) 127.0.0.1:PORT, mon PORT+1, osd PORT+10..PORT+40, all
# below 32768 (the ephemeral range starts there). Storage: one memstore OSD
# (RAM only, CEPH_RGW_MEMSTORE_BYTES, default 1 GiB), so every start begins with
# an empty cluster. Path-style URLs only (no rgw dns name). Lifecycle rules are
# stored and read back; they run only on the nightly schedule.
# Needs (Debian): apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT ACCESS_KEY SECRET_KEY | stop DIR" >&2; exit 2; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# PIDs of this DIR's daemons still running: a pid file's PID counts only if its
# command line names DIR/ceph.conf (never a reused PID of another process; an
# exited one that init has not reaped yet has an empty command line).
our_pids() {
  local dir=$1 f pid
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(<"$f")
    { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "-c $dir/ceph.conf " && echo "$pid"
  done
  return 0
}

# stop: SIGKILL right away. A clean SIGTERM shutdown takes ~5 s (radosgw, and the
# OSD once the mon is gone) and saves nothing: the OSD's data lives in RAM and the
# next start rebuilds DIR anyway. Waits until none of them runs any more.
stop() {
  local dir=$1 pids _
  mapfile -t pids < <(our_pids "$dir")
  [ ${#pids[@]} -gt 0 ] || { echo "nothing running in $dir"; return 0; }
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do [ -n "$(our_pids "$dir")" ] || break; sleep 0.1; done
  [ -z "$(our_pids "$dir")" ] || { echo "still running: $(our_pids "$dir")" >&2; return 1; }
  echo "stopped ceph-rgw in $dir (pids ${pids[*]})"
}

start() {
  local dir=$1 port=$2 ak=$3 sk=$4 t0 p
  t0=$(now_ms)
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1024 || port + 40 >= 32768)); then
    echo "PORT must be 1024..32727" >&2; exit 2
  fi
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)            # daemons chdir to /: absolute paths only
  [ -z "$(our_pids "$dir")" ] || { echo "already running in $dir (run: $0 stop $dir)" >&2; exit 1; }
  for p in "$port" $((port + 1)); do                  # fail fast instead of timing out later
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is in use" >&2; exit 1; fi
  done
  rm -rf "$dir/ceph.conf" "$dir/monmap" "$dir/mon" "$dir/osd" "$dir/run" "$dir/log"
  mkdir -p "$dir/mon/a" "$dir/osd/0" "$dir/run" "$dir/log"
  # on any failure: say where the logs are and stop whatever did start
  fail() { echo "ceph-rgw start failed: $*; logs in $dir/log" >&2; stop "$dir" >/dev/null; exit 1; }
  trap 'fail "line $LINENO exited $?"' ERR
  local fsid conf=$dir/ceph.conf mon=127.0.0.1:$((port + 1))
  fsid=$(</proc/sys/kernel/random/uuid)

  # One config for all daemons and clients: no cephx, msgr2 only, pool size 1,
  # every state file, log, socket and pid file under DIR.
  cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:$mon
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
# with auth none, msgr2 "secure" mode cannot start: radosgw stalls on
# "get_initial_auth_request returned -13" unless every mode is crc
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
[mon]
mon data = $dir/mon/\$id
# commit map changes every 50 ms instead of 1 s: radosgw's first start makes
# ~10 osdmap epochs (pool creations), which takes ~10 s at the default
paxos propose interval = 0.05
# keep HEALTH quiet and let the mon run on a nearly full test disk
mon data avail warn = 1
mon data avail crit = 0
mon warn on insecure global id reclaim allowed = false
[osd]
osd data = $dir/osd/\$id
osd objectstore = memstore
memstore device bytes = ${CEPH_RGW_MEMSTORE_BYTES:-1073741824}
ms bind port min = $((port + 10))
ms bind port max = $((port + 40))
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
CONF

  # Monitor: a one-member monmap, mkfs, start (daemonizes, writes its pid file).
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:$mon]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" 2>>"$dir/log/mon.a.stderr"
  ceph-mon -c "$conf" -i a 2>>"$dir/log/mon.a.stderr"

  # OSD: register id 0 with the mon, mkfs its memstore, start it.
  local uuid; uuid=$(</proc/sys/kernel/random/uuid)
  timeout 60 ceph -c "$conf" osd new "$uuid" >/dev/null
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" 2>>"$dir/log/osd.0.stderr"
  ceph-osd -c "$conf" -i 0 2>>"$dir/log/osd.0.stderr"

  # S3 user with the caller's keys (this also creates the default zone and the
  # rgw pools; it waits for the OSD to come up).
  timeout 120 radosgw-admin -c "$conf" -n client.rgw user create --uid=test --display-name=test \
    --access-key="$ak" --secret="$sk" >/dev/null 2>>"$dir/log/radosgw-admin.stderr"

  # Gateway, then wait (max 60 s) until a SigV4-signed ListBuckets answers 200.
  radosgw -c "$conf" -n client.rgw 2>>"$dir/log/client.rgw.stderr"
  # (curl 7.88 does not send x-amz-content-sha256, which radosgw requires: give
  # the SHA-256 of the empty body)
  local code=000 deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user "$ak:$sk" \
      -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
      "http://127.0.0.1:$port/" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  [ "$code" = 200 ] || fail "radosgw on $port answers $code"
  local ms=$(($(now_ms) - t0))
  echo "ceph-rgw up: http://127.0.0.1:$port (start took $((ms / 1000)).$(printf %03d $((ms % 1000)))s; ceph -c $conf -s)"
}

case ${1:-} in
  start) [ $# -eq 5 ] || usage; start "$2" "$3" "$4" "$5" ;;
  stop)  [ $# -eq 2 ] || usage; [ -d "$2" ] || { echo "no such dir: $2" >&2; exit 1; }; stop "$(cd "$2" && pwd)" ;;
  *) usage ;;
esac
