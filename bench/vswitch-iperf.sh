#!/usr/bin/env bash
# iperf3 TCP between two network namespaces: through a Linux bridge over veth pairs (the anchor) and through the
# sample switch's TAP ports (ReNESENS.VSwitch), alternated in one run, with CPU per byte.
#
#   bash bench/vswitch-iperf.sh [SECONDS per iperf run, default 5] [ROUNDS, default 3]
#
# Prints one markdown row per run and a summary: median Gbit/s of each contender, the ratio to the bridge,
# CPU-seconds per GB of the switch process (utime+stime from /proc/PID/stat) and of the whole host (busy
# jiffies from /proc/stat, which also counts the kernel's softirq work and everything else running).
# Root only. Names: rn-vswitch-bench-*; everything it creates is removed on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
prefix=rn-vswitch-bench
dll=samples/ReNESENS.VSwitch/bin/Release/net10.0/ReNESENS.VSwitch.dll
[ -f "$dll" ] || dotnet build samples/ReNESENS.VSwitch -c Release >/dev/null
tmp=$(mktemp -d)
switch_pid=
cleanup() {
  [ -n "$switch_pid" ] && kill -TERM "$switch_pid" 2>/dev/null && wait "$switch_pid" 2>/dev/null || true
  for ns in $prefix-a $prefix-b $prefix-br $prefix-sa $prefix-sb; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

hz=$(getconf CLK_TCK)
host_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
proc_cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }

# The anchor: a bridge in its own namespace, one veth pair to each end namespace.
ip netns add $prefix-a; ip netns add $prefix-b; ip netns add $prefix-br
ip -n $prefix-br link add br0 type bridge; ip -n $prefix-br link set br0 up
for s in a b; do
  ip link add rnvb-$s type veth peer name rnvbp-$s
  ip link set rnvb-$s netns $prefix-$s; ip link set rnvbp-$s netns $prefix-br
  ip -n $prefix-br link set rnvbp-$s master br0; ip -n $prefix-br link set rnvbp-$s up
  ip -n $prefix-$s link set lo up; ip -n $prefix-$s link set rnvb-$s up
done
ip -n $prefix-a addr add 10.75.0.1/24 dev rnvb-a; ip -n $prefix-b addr add 10.75.0.2/24 dev rnvb-b

# The switch: the sample with two TAP ports in two namespaces of its own.
cat > "$tmp/switch.json" <<JSON
{ "Switch": { "Forwarding": { "Workers": 1, "BurstSize": 32, "Mode": "${MODE:-Poll}" },
  "Ports": [
    { "Name": "rnvs-a", "Type": "tap", "Settings": { "namespace": "$prefix-sa", "address": "10.74.0.1/24" } },
    { "Name": "rnvs-b", "Type": "tap", "Settings": { "namespace": "$prefix-sb", "address": "10.74.0.2/24" } } ] },
  "Lab": { "PingCount": 2 }, "Stats": { "IntervalSeconds": 0 } }
JSON
dotnet "$dll" --config "$tmp/switch.json" >"$tmp/switch.log" 2>&1 &
switch_pid=$!
for _ in $(seq 1 300); do grep -q "packet loss" "$tmp/switch.log" && break; sleep 0.2; done
grep -q " 0% packet loss" "$tmp/switch.log" || { cat "$tmp/switch.log"; exit 1; }

# One iperf3 run; prints "gbits bytes host_cpu_s switch_cpu_s".
run() {
  local client=$1 server=$2 address=$3
  ip netns exec "$server" timeout $((seconds + 20)) iperf3 -s -1 -B "$address" >/dev/null 2>&1 &
  local spid=$!
  sleep 0.5
  local h0 p0 h1 p1
  h0=$(host_busy); p0=$(proc_cpu "$switch_pid")
  ip netns exec "$client" timeout $((seconds + 15)) iperf3 -c "$address" -t "$seconds" -J >"$tmp/iperf.json"
  h1=$(host_busy); p1=$(proc_cpu "$switch_pid")
  wait "$spid" || true
  local bytes bps
  bytes=$(jq '.end.sum_received.bytes' "$tmp/iperf.json")
  bps=$(jq '.end.sum_received.bits_per_second' "$tmp/iperf.json")
  echo "$(awk -v b="$bps" 'BEGIN{printf "%.2f", b/1e9}') $bytes $(awk -v d=$((h1 - h0)) -v hz="$hz" 'BEGIN{printf "%.2f", d/hz}') $(awk -v d=$((p1 - p0)) -v hz="$hz" 'BEGIN{printf "%.2f", d/hz}')"
}

echo "| round | contender | Gbit/s | GB moved | host CPU-s | host CPU-s/GB | switch CPU-s | switch CPU-s/GB |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
: >"$tmp/bridge"; : >"$tmp/switch"
for r in $(seq 1 "$rounds"); do
  for who in bridge switch; do
    if [ $who = bridge ]; then out=$(run $prefix-a $prefix-b 10.75.0.2); else out=$(run $prefix-sa $prefix-sb 10.74.0.2); fi
    read -r gbits bytes host proc <<<"$out"
    gb=$(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1e9}')
    if [ $who = bridge ]; then proc=-; proc_gb=-; else proc_gb=$(awk -v p="$proc" -v g="$gb" 'BEGIN{printf "%.3f", p/g}'); fi
    echo "| $r | $who | $gbits | $gb | $host | $(awk -v h="$host" -v g="$gb" 'BEGIN{printf "%.3f", h/g}') | $proc | $proc_gb |"
    echo "$gbits" >>"$tmp/$who"
  done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mb=$(median "$tmp/bridge"); ms=$(median "$tmp/switch")
echo
echo "median: bridge $mb Gbit/s, switch (${MODE:-Poll} mode) $ms Gbit/s, ratio $(awk -v s="$ms" -v b="$mb" 'BEGIN{printf "%.2f", s/b}')x; load average $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "opened with" "$tmp/switch.log" | head -2 | sed 's/^ */switch: /'
