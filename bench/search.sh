#!/usr/bin/env bash
# `asyncfiles grep` and `asyncfiles cat` side by side with the peers, in one run.
#
#   bash bench/search.sh            # corpus in /tmp/asyncfiles-bench (kept between runs)
#   CORPUS=/dev/shm/asyncfiles-bench RUNS=5 bash bench/search.sh
#
# Corpus: the 10,000-file tree of bench/run.sh, gzip'ed file by file (tree-gz) and zstd'ed
# (tree-zst), by the reference tools, and the 1 GiB access log zstd'ed (big.log.zst). Patterns:
# " 500 " (about 4 % of the lines) and "GET" (about 13 %). Peers: rg -z (ripgrep, one external
# decompressor process per file), ugrep -z (in process, one file at a time), zgrep (one shell
# pipeline per file), `zstd -dc | rg` for the single file, `find -exec zcat {} +` for cat. Output
# goes into a pipe that hyperfine drains (`--output=pipe`), not to /dev/null: GNU grep and ugrep
# notice a /dev/null stdout and stop at the first match, which would time nothing. Wall time with
# hyperfine, page cache warm; peak RSS of asyncfiles with /usr/bin/time. Results go to stdout and
# $CORPUS/search.md.
# Needs: hyperfine, rg, ugrep, zstd, gzip, /usr/bin/time
# (apt-get install hyperfine ripgrep ugrep zstd gzip time).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup hyperfine rg ugrep zgrep zstd gzip /usr/bin/time
RUNS=${RUNS:-5}
tree=$CORPUS/tree
if [ ! -d "$CORPUS/tree-gz" ]; then
  cp -r "$tree" "$CORPUS/tree-gz.tmp" && gzip -r -6 "$CORPUS/tree-gz.tmp"
  mv "$CORPUS/tree-gz.tmp" "$CORPUS/tree-gz"
fi
if [ ! -d "$CORPUS/tree-zst" ]; then
  cp -r "$tree" "$CORPUS/tree-zst.tmp" && zstd -q -r --rm -3 "$CORPUS/tree-zst.tmp"
  mv "$CORPUS/tree-zst.tmp" "$CORPUS/tree-zst"
fi
[ -f "$CORPUS/big.log" ] || "$gen" big "$CORPUS/big.log" 1024
[ -f "$CORPUS/big.log.zst" ] || zstd -q -T2 -3 -k "$CORPUS/big.log" -o "$CORPUS/big.log.zst"
for dir in tree tree-gz tree-zst; do find "$CORPUS/$dir" -type f -exec cat {} + >/dev/null; done
cat "$CORPUS/big.log.zst" >/dev/null

results=$CORPUS/search.md
: >"$results"
say() { echo "$*" | tee -a "$results"; }
say "## grep and cat on $(nproc) cores, $(date -u +%F), $(uname -r); hyperfine, $RUNS runs"
say "tree: $(find "$tree" -type f | wc -l) files, $(du -sb "$tree" | cut -f1) bytes plain," \
  "$(du -sb "$CORPUS/tree-gz" | cut -f1) gz, $(du -sb "$CORPUS/tree-zst" | cut -f1) zst;" \
  "big.log.zst: $(stat -c %s "$CORPUS/big.log.zst") bytes ($(stat -c %s "$CORPUS/big.log") plain)"

# One side-by-side table: bench TITLE NAME COMMAND [NAME COMMAND]...
bench() {
  local title=$1 args=()
  shift
  while (($#)); do
    args+=(-n "$1" "$2")
    shift 2
  done
  say ""
  say "### $title"
  hyperfine --style basic --warmup 1 --runs "$RUNS" --output=pipe "${args[@]}" \
    --export-markdown "$CORPUS/part.md" >/dev/null
  tee -a "$results" <"$CORPUS/part.md"
}

gz=$CORPUS/tree-gz zst=$CORPUS/tree-zst
for pattern in ' 500 ' 'GET'; do
  bench "gz tree, '$pattern', -c" \
    "asyncfiles grep -c" "$bin grep -c '$pattern' $gz" \
    "rg -z -c" "rg -z -c '$pattern' $gz" \
    "ugrep -z -c -r" "ugrep -z -c -r '$pattern' $gz" \
    "zgrep -c (find -exec)" "find $gz -type f -exec zgrep -c '$pattern' {} +"
done
bench "zst tree, ' 500 '" \
  "asyncfiles grep" "$bin grep ' 500 ' $zst" \
  "rg -z" "rg -z ' 500 ' $zst" \
  "ugrep -z -r" "ugrep -z -r ' 500 ' $zst"
for pattern in ' 500 ' 'GET'; do
  bench "plain tree, '$pattern'" \
    "asyncfiles grep" "$bin grep '$pattern' $tree" \
    "rg" "rg '$pattern' $tree"
done
bench "one 1 GiB .zst, ' 500 '" \
  "asyncfiles grep" "$bin grep ' 500 ' $CORPUS/big.log.zst" \
  "zstd -dc | rg" "zstd -dc $CORPUS/big.log.zst | rg ' 500 '"
bench "cat of the gz tree to /dev/null" \
  "asyncfiles cat" "$bin cat $gz" \
  "find -exec zcat {} +" "find $gz -type f -exec zcat {} +"

say ""
say "### peak RSS of asyncfiles (target ≤ 64 MiB)"
say "| job | peak RSS | wall |"
say "|---|---|---|"
results_row() { # LABEL COMMAND...
  local label=$1
  shift
  /usr/bin/time -f "%M %e" -o "$CORPUS/time.txt" "$@" | cat >/dev/null || true
  local kib secs
  read -r kib secs <"$CORPUS/time.txt"
  say "| $label | $((kib / 1024)) MiB | $secs s |"
}
results_row "grep -c ' 500 ' gz tree" "$bin" grep -c ' 500 ' "$gz"
results_row "grep ' 500 ' zst tree" "$bin" grep ' 500 ' "$zst"
results_row "grep 'GET' plain tree" "$bin" grep GET "$tree"
results_row "grep ' 500 ' 1 GiB .zst" "$bin" grep ' 500 ' "$CORPUS/big.log.zst"
results_row "cat gz tree" "$bin" cat "$gz"
