#!/usr/bin/env bash
# Side-by-side benchmark of `asyncfiles convert` against its peer tools, in one run.
#
#   bash bench/run.sh            # corpus in /tmp/asyncfiles-bench (kept between runs)
#   CORPUS=/big/disk RUNS=10 bash bench/run.sh
#
# Generates (once) a deterministic corpus: 10,000 logs of 2-60 KiB in a nested tree and one 1 GiB
# access log. Then compares wall time with hyperfine (page cache warm, outputs removed before every
# run) and peak RSS with /usr/bin/time. Results go to stdout and $CORPUS/results.md; copy the
# figures into BENCHMARKS.md. Needs: hyperfine, /usr/bin/time (apt-get install hyperfine time).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup hyperfine /usr/bin/time
RUNS=${RUNS:-5}
[ -f "$CORPUS/big.log" ] || "$gen" big "$CORPUS/big.log" 1024
# Warm the page cache so that every contender reads from memory.
find "$CORPUS/tree" -type f -exec cat {} + >/dev/null
cat "$CORPUS/big.log" >/dev/null

results=$CORPUS/results.md
: >"$results"
echo "## $(date -u +%F) on $(nproc) cores, $(uname -r)" | tee -a "$results"
echo "tree: $(find "$CORPUS/tree" -type f | wc -l) files, $(du -sb "$CORPUS/tree" | cut -f1) bytes; big.log: $(stat -c %s "$CORPUS/big.log") bytes" | tee -a "$results"

echo "### tree copy: asyncfiles convert vs cp -r" | tee -a "$results"
hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare "rm -rf $CORPUS/out" \
  -n "cp -r" "cp -r $CORPUS/tree $CORPUS/out" \
  -n "asyncfiles convert" "$bin -q convert $CORPUS/tree $CORPUS/out" \
  -n "asyncfiles convert -j 8" "$bin -q convert -j 8 $CORPUS/tree $CORPUS/out" \
  -n "asyncfiles convert --eol crlf" "$bin -q convert --eol crlf $CORPUS/tree $CORPUS/out" \
  --export-markdown "$CORPUS/tree.md"
cat "$CORPUS/tree.md" >>"$results"

echo "### one 1 GiB file: asyncfiles convert vs cp" | tee -a "$results"
hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare "rm -f $CORPUS/big.out" \
  -n "cp" "cp $CORPUS/big.log $CORPUS/big.out" \
  -n "asyncfiles convert" "$bin -q convert $CORPUS/big.log $CORPUS/big.out" \
  -n "asyncfiles convert --eol crlf" "$bin -q convert --eol crlf $CORPUS/big.log $CORPUS/big.out" \
  --export-markdown "$CORPUS/big.md"
cat "$CORPUS/big.md" >>"$results"

echo "### peak RSS (/usr/bin/time -f %M)" | tee -a "$results"
echo "| run | peak RSS | wall |" | tee -a "$results"
echo "|---|---|---|" | tee -a "$results"
peak "cp -r tree" cp -r "$CORPUS/tree" "$CORPUS/out"
peak "asyncfiles convert tree" "$bin" -q convert "$CORPUS/tree" "$CORPUS/out"
peak "asyncfiles convert --jobs 2 tree" "$bin" -q convert --jobs 2 "$CORPUS/tree" "$CORPUS/out"
peak "asyncfiles convert --jobs 8 tree" "$bin" -q convert --jobs 8 "$CORPUS/tree" "$CORPUS/out"
peak "cp big.log" cp "$CORPUS/big.log" "$CORPUS/big.out"
peak "asyncfiles convert big.log" "$bin" -q convert "$CORPUS/big.log" "$CORPUS/big.out"
peak "asyncfiles convert --eol crlf big.log" "$bin" -q convert --eol crlf "$CORPUS/big.log" "$CORPUS/big.out"
rm -rf "$CORPUS/out" "$CORPUS/big.out"
echo "results: $results"
