#!/usr/bin/env bash
# The one command that runs every test: installs the Debian packages the tests and native
# anchors need, prepares huge pages, builds everything (the native shim through dotnet build)
# and runs the unit and integration tests. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake gcc make pkg-config dpdk-dev libdpdk-dev libisal-dev liblz4-dev lz4
          libgcrypt20-dev libssl-dev tshark iperf3 iproute2 iputils-ping afl++ jq)
if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Huge pages for DmaRegion's hugetlb path and the DPDK anchors; none exist at boot.
  if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 512 ]; then
    echo 512 > /proc/sys/vm/nr_hugepages || true
  fi
  mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages || true; }
else
  echo "not root: skipping package installation and huge page setup" >&2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ReNESENS.DataPlane.sln -c Release

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for project in tests/ReNESENS.DataPlane.Tests tests/ReNESENS.DataPlane.IntegrationTests; do
  name=$(basename "$project")
  dotnet test "$project/$name.csproj" -c Release --no-build \
    --logger "trx;LogFileName=$results/$name.trx" --logger "console;verbosity=normal" || status=1
done

# The kernels once more with every hardware intrinsic disabled, so the scalar fallbacks are proven.
DOTNET_EnableHWIntrinsic=0 dotnet test tests/ReNESENS.DataPlane.Tests/ReNESENS.DataPlane.Tests.csproj -c Release --no-build \
  --filter "FullyQualifiedName~Kernels" --logger "trx;LogFileName=$results/Kernels-NoIntrinsics.trx" || status=1

# One closing line over every run above.
passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  passed=$((passed + p)); failed=$((failed + f))
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || status=1
exit $status
