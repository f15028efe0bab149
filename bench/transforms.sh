#!/usr/bin/env bash
# Side-by-side benchmark of `asyncfiles convert` line transforms against sd, sed and ripgrep, in
# one run (issue 4's targets).
#
#   bash bench/transforms.sh          # corpus in /tmp/asyncfiles-bench (shared with bench/run.sh)
#   CORPUS=/dev/shm/asyncfiles-bench RUNS=5 bash bench/transforms.sh
#
# big256.log is a 256 MiB access log; every tool writes to /dev/null. The tree run checks that
# `--redact ipv4 --to gz` keeps both cores busy: wall time against user + system time.
# Needs: hyperfine, /usr/bin/time, sd, rg (apt-get install hyperfine time sd ripgrep).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup hyperfine /usr/bin/time sd rg
RUNS=${RUNS:-3}
big=$CORPUS/big256.log
[ -f "$big" ] || "$gen" big "$big" 256
cat "$big" >/dev/null

ipv4='\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b'
sed_ipv4='\b([0-9]{1,3}\.){3}[0-9]{1,3}\b'
results=$CORPUS/transforms.md
: >"$results"
echo "## $(date -u +%F) on $(nproc) cores; corpus $CORPUS" | tee -a "$results"

echo "### --redact ipv4, 256 MiB" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "sd" "sd '$ipv4' '[IPV4]' <$big >/dev/null" \
  -n "LC_ALL=C sed -E" "LC_ALL=C sed -E 's/$sed_ipv4/[IPV4]/g' $big >/dev/null" \
  -n "rg --passthru -r" "rg --passthru --no-filename -r '[IPV4]' '$ipv4' $big >/dev/null" \
  -n "asyncfiles --redact ipv4" "$bin -q convert --redact ipv4 $big - >/dev/null" \
  --export-markdown "$CORPUS/redact.md"
cat "$CORPUS/redact.md" >>"$results"

echo "### --grep-v GET, 256 MiB" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "rg -v" "rg --no-filename -v GET $big >/dev/null" \
  -n "asyncfiles --grep-v GET" "$bin -q convert --grep-v GET $big - >/dev/null" \
  --export-markdown "$CORPUS/grepv.md"
cat "$CORPUS/grepv.md" >>"$results"

echo "### peak RSS (/usr/bin/time -f %M)" | tee -a "$results"
echo "| run | peak RSS | wall |" | tee -a "$results"
echo "|---|---|---|" | tee -a "$results"
peak "asyncfiles --redact ipv4, 256 MiB" "$bin" -q convert --redact ipv4 "$big" -
peak "asyncfiles --grep-v GET, 256 MiB" "$bin" -q convert --grep-v GET "$big" -
peak "sd, 256 MiB (for scale)" bash -c "sd '$ipv4' '[IPV4]' <$big"

echo "### tree: --redact ipv4 --to gz, default --jobs: cores in use" | tee -a "$results"
echo "| run | wall | user + system | wall / CPU |" | tee -a "$results"
echo "|---|---|---|---|" | tee -a "$results"
for _ in $(seq "$RUNS"); do
  rm -rf "$CORPUS/out"
  /usr/bin/time -f "%e %U %S" -o "$CORPUS/time.txt" "$bin" -q convert --redact ipv4 --to gz "$CORPUS/tree" "$CORPUS/out"
  read -r wall user sys <"$CORPUS/time.txt"
  awk -v w="$wall" -v u="$user" -v s="$sys" \
    'BEGIN { printf "| redact ipv4 --to gz | %.2f s | %.2f s | %.2f |\n", w, u + s, w / (u + s) }' | tee -a "$results"
done
rm -rf "$CORPUS/out"
echo "results: $results"
