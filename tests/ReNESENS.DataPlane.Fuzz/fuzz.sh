#!/usr/bin/env bash
# Fuzz one target with afl-fuzz for a bounded time: ./fuzz.sh TARGET SECONDS
# For developers, not CI. Installs afl++ when missing (as root), restores the sharpfuzz tool
# from .config/dotnet-tools.json, builds the harness, instruments the library's dll in the
# harness's output folder (never the harness itself: that crashes the fork server) and runs
# afl-fuzz on corpus/TARGET. Findings go to ${FUZZ_OUT:-/tmp/fuzz-out-TARGET}; copy crashes
# to crashes/TARGET and a few new queue entries to corpus/TARGET so the unit tests replay them.
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET SECONDS" >&2
  exit 2
fi
target=$1
seconds=$2
out=${FUZZ_OUT:-/tmp/fuzz-out-$target}
bin=bin/Release/net10.0

if [ ! -d "corpus/$target" ]; then
  echo "no corpus/$target: seed it first (dotnet $bin/ReNESENS.DataPlane.Fuzz.dll seed $target corpus/$target)" >&2
  exit 2
fi

if ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
  else
    echo "afl-fuzz is missing: apt-get install afl++" >&2
    exit 1
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
# The build copies a fresh, uninstrumented library dll over any earlier instrumented one.
dotnet build -c Release -nologo -v q
dotnet sharpfuzz "$bin/ReNESENS.DataPlane.dll"

rm -rf "$out"
# -V ends the campaign cleanly after the time box (stats written); timeout is the backstop.
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
  timeout $((seconds + 60)) afl-fuzz -V "$seconds" -i "corpus/$target" -o "$out" -t 10000 -m none \
  -- dotnet "$bin/ReNESENS.DataPlane.Fuzz.dll" "$target" || true

stats="$out/default/fuzzer_stats"
if [ -f "$stats" ]; then
  grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs) ' "$stats"
fi
crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "crashes: $crashes (in $out/default/crashes)"
