#!/usr/bin/env bash
# Side-by-side benchmark of `asyncfiles hash` against b3sum, and of `convert --manifest`'s cost,
# in one run (issue 5's targets).
#
#   bash bench/hash.sh          # corpus in /tmp/asyncfiles-bench (shared with bench/run.sh)
#   CORPUS=/dev/shm/asyncfiles-bench RUNS=5 bash bench/hash.sh
#
# The tree is bench/run.sh's 10,000-file corpus; big.log its 1 GiB log. Page cache warm.
# Needs: hyperfine, /usr/bin/time, b3sum, zstd (apt-get install hyperfine time b3sum zstd).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup hyperfine /usr/bin/time b3sum
RUNS=${RUNS:-5}
big=$CORPUS/big.log
[ -f "$big" ] || "$gen" big "$big" 1024
find "$CORPUS/tree" -type f -exec cat {} + >/dev/null
cat "$big" >/dev/null

results=$CORPUS/hash.md
: >"$results"
echo "## $(date -u +%F) on $(nproc) cores; corpus $CORPUS; $(b3sum --version)" | tee -a "$results"

echo "### hash, 10,000-file tree" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" --warmup 1 \
  -n "find | xargs -0 -P2 b3sum" "find $CORPUS/tree -type f -print0 | xargs -0 -P2 -n 64 b3sum >/dev/null" \
  -n "find | xargs -0 b3sum" "find $CORPUS/tree -type f -print0 | xargs -0 b3sum >/dev/null" \
  -n "asyncfiles hash" "$bin hash $CORPUS/tree >/dev/null" \
  -n "asyncfiles hash --unsorted" "$bin hash --unsorted $CORPUS/tree >/dev/null" \
  --export-markdown "$CORPUS/hash-tree.md"
cat "$CORPUS/hash-tree.md" >>"$results"

echo "### hash, one 1 GiB file" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" --warmup 1 \
  -n "b3sum --no-mmap" "b3sum --no-mmap $big >/dev/null" \
  -n "b3sum (mmap)" "b3sum $big >/dev/null" \
  -n "asyncfiles hash" "$bin hash $big >/dev/null" \
  --export-markdown "$CORPUS/hash-big.md"
cat "$CORPUS/hash-big.md" >>"$results"

echo "### convert --to zst, tree, with and without --manifest" | tee -a "$results"
hyperfine --style basic --runs "$RUNS" \
  -n "convert --to zst" --prepare "rm -rf $CORPUS/out" "$bin -q convert --to zst $CORPUS/tree $CORPUS/out" \
  -n "convert --to zst --manifest" --prepare "rm -rf $CORPUS/out $CORPUS/out.b3" "$bin -q convert --to zst --manifest $CORPUS/out.b3 $CORPUS/tree $CORPUS/out" \
  --export-markdown "$CORPUS/manifest.md"
cat "$CORPUS/manifest.md" >>"$results"

echo "### peak RSS (/usr/bin/time -f %M)" | tee -a "$results"
echo "| run | peak RSS | wall |" | tee -a "$results"
echo "|---|---|---|" | tee -a "$results"
peak "asyncfiles hash, tree" "$bin" hash "$CORPUS/tree"
peak "asyncfiles hash, 1 GiB" "$bin" hash "$big"
peak "b3sum (mmap), 1 GiB (for scale)" b3sum "$big"
rm -rf "$CORPUS/out" "$CORPUS/out.b3"
echo "results: $results"
