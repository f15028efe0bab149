#!/usr/bin/env bash
# Side-by-side benchmark of one large file on every core (issue 11): asyncfiles at --threads 1 and
# 2 against the 2-thread peers (pigz -p2, zstd -T2, xz -T2, pbzip2 -p2), in one run, with output
# sizes against the one-thread tools and peak RSS of every asyncfiles run.
#
#   bash bench/parallel.sh                      # corpus in /tmp/asyncfiles-bench
#   CORPUS=/dev/shm/asyncfiles-bench RUNS=5 bash bench/parallel.sh
#   JOBS="gz zst" bash bench/parallel.sh        # a subset: gz zst xz bz2 unxz redact mixed
#
# Inputs: big256.log (256 MiB access log), big64.log (64 MiB, for xz whose -6 runs at ~2 MB/s a
# thread), big1024.log (1 GiB, for --redact and the mixed tree), mixed/ (3,000 small logs of the
# tree corpus plus big1024.log). Outputs go to $CORPUS/par-out and are removed before each run.
# Needs: hyperfine, /usr/bin/time, gzip, pigz, zstd, xz, bzip2, pbzip2.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup hyperfine /usr/bin/time gzip pigz zstd xz bzip2 pbzip2
RUNS=${RUNS:-3}
JOBS=${JOBS:-gz zst xz bz2 unxz redact mixed}
out=$CORPUS/par-out
[ -f "$CORPUS/big256.log" ] || "$gen" big "$CORPUS/big256.log" 256
[ -f "$CORPUS/big64.log" ] || head -c $((64 << 20)) "$CORPUS/big256.log" >"$CORPUS/big64.log"
results=$CORPUS/parallel.md
: >"$results"
echo "## $(date -u +%F) on $(nproc) cores; corpus $CORPUS; median of $RUNS runs" | tee -a "$results"

# Wall time, CPU time and peak RSS of one command (median wall of RUNS), as a table row.
#   row LABEL COMMAND   (COMMAND is a shell string; its stdout is discarded)
row() {
  local label=$1 command=$2 i walls=() cpu kib line
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$out"; mkdir -p "$out"
    /usr/bin/time -f "%e %U %S %M" -o "$CORPUS/time.txt" bash -c "$command" >/dev/null
    read -r line <"$CORPUS/time.txt"
    walls+=("$line")
  done
  line=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  read -r wall user sys kib <<<"$line"
  cpu=$(echo "$user + $sys" | bc)
  printf '| %s | %s s | %s s | %s MiB |\n' "$label" "$wall" "$cpu" "$((kib / 1024))" | tee -a "$results"
}
header() {
  printf '\n### %s\n| command | wall | CPU (user+sys) | peak RSS |\n|---|---|---|---|\n' "$1" | tee -a "$results"
}
size() { # size LABEL FILE
  printf '| size: %s | %s bytes |\n' "$1" "$(stat -c %s "$2")" | tee -a "$results"
}
sizes() {
  printf '\n| output | bytes |\n|---|---|\n' | tee -a "$results"
}

# One --to job: peers, then asyncfiles at -T1 and -T2, then sizes (1-thread tool = reference).
#   encode EXT LEVEL INPUT PEER_T2 REF_T1
encode() {
  local ext=$1 level=$2 input=$3 peer=$4 ref=$5
  header "--to $ext --level $level, $(basename "$input") ($(($(stat -c %s "$input") >> 20)) MiB)"
  row "$peer" "$peer -$level -c $input >$out/peer.$ext"
  row "asyncfiles -T1" "$bin -q convert -T 1 --to $ext --level $level $input $out/a.$ext"
  row "asyncfiles -T2" "$bin -q convert -T 2 --to $ext --level $level $input $out/a.$ext"
  sizes
  $ref -"$level" -c "$input" >"$CORPUS/ref.$ext"
  $peer -"$level" -c "$input" >"$CORPUS/peer.$ext"
  "$bin" -q convert -T 1 --to "$ext" --level "$level" "$input" "$CORPUS/t1.$ext"
  "$bin" -q convert -T 2 --to "$ext" --level "$level" "$input" "$CORPUS/t2.$ext"
  size "$ref (one thread)" "$CORPUS/ref.$ext"
  size "$peer" "$CORPUS/peer.$ext"
  size "asyncfiles -T1" "$CORPUS/t1.$ext"
  size "asyncfiles -T2" "$CORPUS/t2.$ext"
  rm -f "$CORPUS"/{ref,peer,t1,t2}."$ext"
}

for job in $JOBS; do
  case $job in
    gz) encode gz 6 "$CORPUS/big256.log" "pigz -p2" "gzip" ;;
    zst) encode zst 3 "$CORPUS/big256.log" "zstd -q -T2" "zstd -q --single-thread" ;;
    xz) encode xz 6 "$CORPUS/big64.log" "xz -T2" "xz -T1" ;;
    bz2) encode bz2 9 "$CORPUS/big256.log" "pbzip2 -p2" "bzip2" ;;
    unxz)
      [ -f "$CORPUS/big256.mt.xz" ] || xz -T2 -6 -c "$CORPUS/big256.log" >"$CORPUS/big256.mt.xz"
      header "xz -> none, big256.log made by xz -T2 -6 ($(xz --robot -l "$CORPUS/big256.mt.xz" | awk '$1 == "totals" {print $3}') blocks)"
      row "xz -T2 -dc" "xz -T2 -dc $CORPUS/big256.mt.xz >$out/x"
      row "asyncfiles -T1" "$bin -q convert -T 1 --to none $CORPUS/big256.mt.xz $out/x"
      row "asyncfiles -T2" "$bin -q convert -T 2 --to none $CORPUS/big256.mt.xz $out/x"
      ;;
    redact)
      [ -f "$CORPUS/big1024.log" ] || "$gen" big "$CORPUS/big1024.log" 1024
      header "--redact ipv4, big1024.log (1 GiB)"
      row "asyncfiles -T1" "$bin -q convert -T 1 --redact ipv4 $CORPUS/big1024.log $out/r.log"
      row "asyncfiles -T2" "$bin -q convert -T 2 --redact ipv4 $CORPUS/big1024.log $out/r.log"
      ;;
    mixed)
      [ -f "$CORPUS/big1024.log" ] || "$gen" big "$CORPUS/big1024.log" 1024
      if [ ! -d "$CORPUS/mixed" ]; then
        rm -rf "$CORPUS/mixed.tmp" && mkdir -p "$CORPUS/mixed.tmp"
        # A list first: `head` closing a pipe would fail the pipeline (pipefail).
        find "$CORPUS/tree" -type f | sort >"$CORPUS/mixed.list"
        sed -n 1,3000p "$CORPUS/mixed.list" | while read -r f; do
          d=$CORPUS/mixed.tmp/$(dirname "${f#"$CORPUS/tree/"}"); mkdir -p "$d"; cp "$f" "$d/"
        done
        cp "$CORPUS/big1024.log" "$CORPUS/mixed.tmp/"
        mv "$CORPUS/mixed.tmp" "$CORPUS/mixed"
      fi
      header "mixed tree: 3,000 small logs + one 1 GiB log, --to zst (target: wall <= 1.15 x CPU / $(nproc))"
      row "asyncfiles -T1" "$bin -q convert -T 1 --to zst $CORPUS/mixed $out/m"
      row "asyncfiles -T2" "$bin -q convert -T 2 --to zst $CORPUS/mixed $out/m"
      ;;
    *) echo "bench: unknown job $job" >&2; exit 2 ;;
  esac
done
rm -rf "$out"
echo "results in $results"
