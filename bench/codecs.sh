#!/usr/bin/env bash
# Side-by-side benchmark of `asyncfiles convert --to/--from` against the reference tools, in one
# run (issue 3's targets).
#
#   bash bench/codecs.sh          # corpus in /tmp/asyncfiles-bench (shared with bench/run.sh)
#   CORPUS=/dev/shm/asyncfiles-bench RUNS=5 bash bench/codecs.sh
#
# The tree is the 10,000-file corpus of bench/run.sh; big256.log is a 256 MiB access log. Peers
# compress in place on a copy of the tree (`gzip -k`), outputs are removed before every run.
# Needs: hyperfine, /usr/bin/time, gzip, zstd.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup hyperfine /usr/bin/time gzip zstd
RUNS=${RUNS:-3}
[ -f "$CORPUS/big256.log" ] || "$gen" big "$CORPUS/big256.log" 256
[ -f "$CORPUS/big256.log.gz" ] || gzip -6 -k "$CORPUS/big256.log"
if [ ! -d "$CORPUS/tree-gz" ]; then
  cp -r "$CORPUS/tree" "$CORPUS/tree-gz"
  find "$CORPUS/tree-gz" -type f -print0 | xargs -0 -P2 -n 64 gzip -6
fi
rm -rf "$CORPUS/peer" && cp -r "$CORPUS/tree" "$CORPUS/peer"
rm -rf "$CORPUS/peer-gz" && cp -r "$CORPUS/tree-gz" "$CORPUS/peer-gz"
find "$CORPUS" -type f -path "$CORPUS/tree*" -exec cat {} + >/dev/null

results=$CORPUS/codecs.md
: >"$results"
echo "## $(date -u +%F) on $(nproc) cores; corpus $CORPUS" | tee -a "$results"
each() { echo "find $1 -type f $2 -print0 | xargs -0 -P2 -n 64 $3"; }

echo "### --to gz (level 6), tree" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "xargs -P2 gzip -6" --prepare "find $CORPUS/peer -name '*.gz' -delete" "$(each "$CORPUS/peer" "! -name '*.gz'" "gzip -6 -k")" \
  -n "asyncfiles convert --to gz" --prepare "rm -rf $CORPUS/out" "$bin -q convert --to gz $CORPUS/tree $CORPUS/out" \
  -n "asyncfiles convert --to gz -j 8" --prepare "rm -rf $CORPUS/out" "$bin -q convert -j 8 --to gz $CORPUS/tree $CORPUS/out" \
  --export-markdown "$CORPUS/gz.md"
cat "$CORPUS/gz.md" >>"$results"

echo "### --to zst (level 3), tree" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "xargs -P2 zstd -3" --prepare "find $CORPUS/peer -name '*.zst' -delete" "$(each "$CORPUS/peer" "! -name '*.zst'" "zstd -q -3 -k")" \
  -n "asyncfiles convert --to zst" --prepare "rm -rf $CORPUS/out" "$bin -q convert --to zst $CORPUS/tree $CORPUS/out" \
  -n "asyncfiles convert --to zst -j 8" --prepare "rm -rf $CORPUS/out" "$bin -q convert -j 8 --to zst $CORPUS/tree $CORPUS/out" \
  --export-markdown "$CORPUS/zst.md"
cat "$CORPUS/zst.md" >>"$results"

echo "### gz -> none, tree" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "xargs -P2 gzip -dc (to /dev/null)" --prepare true "$(each "$CORPUS/tree-gz" "" "gzip -dc") >/dev/null" \
  -n "xargs -P2 gzip -dk (writes files)" --prepare "find $CORPUS/peer-gz -type f ! -name '*.gz' -delete" "$(each "$CORPUS/peer-gz" "-name '*.gz'" "gzip -dk")" \
  -n "asyncfiles convert --to none" --prepare "rm -rf $CORPUS/out" "$bin -q convert --to none $CORPUS/tree-gz $CORPUS/out" \
  -n "asyncfiles convert --to none -j 8" --prepare "rm -rf $CORPUS/out" "$bin -q convert -j 8 --to none $CORPUS/tree-gz $CORPUS/out" \
  --export-markdown "$CORPUS/gunzip.md"
cat "$CORPUS/gunzip.md" >>"$results"

echo "### one 256 MiB gz file -> none (to /dev/null)" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "gzip -dc" "gzip -dc $CORPUS/big256.log.gz >/dev/null" \
  -n "asyncfiles convert --to none" "$bin -q convert --to none $CORPUS/big256.log.gz - >/dev/null" \
  --export-markdown "$CORPUS/big-gunzip.md"
cat "$CORPUS/big-gunzip.md" >>"$results"

echo "### peak RSS, --jobs 2 (/usr/bin/time -f %M)" | tee -a "$results"
echo "| run | peak RSS | wall |" | tee -a "$results"
echo "|---|---|---|" | tee -a "$results"
peak "--to gz tree" "$bin" -q convert --jobs 2 --to gz "$CORPUS/tree" "$CORPUS/out"
peak "--to zst tree" "$bin" -q convert --jobs 2 --to zst "$CORPUS/tree" "$CORPUS/out"
peak "gz -> none tree" "$bin" -q convert --jobs 2 --to none "$CORPUS/tree-gz" "$CORPUS/out"
peak "256 MiB gz -> none" "$bin" -q convert --jobs 2 --to none "$CORPUS/big256.log.gz" -
peak "256 MiB -> gz" "$bin" -q convert --jobs 2 --to gz "$CORPUS/big256.log" "$CORPUS/out/"
rm -rf "$CORPUS/out" "$CORPUS/peer" "$CORPUS/peer-gz"
echo "results: $results"
