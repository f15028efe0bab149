#!/usr/bin/env bash
# `--shard K/N` on one machine: the 10,000-file corpus split into N = 1, 2, 4, 8 shards, run one
# after the other, so that each shard's wall time shows the share of the work it does.
#
#   bash bench/shard.sh            # corpus in /tmp/asyncfiles-bench (kept between runs)
#   CORPUS=/dev/shm/asyncfiles-bench RUNS=5 JOB="--to gz" bash bench/shard.sh
#
# For each N and K: wall time (median of RUNS, outputs removed before every run), files and
# input bytes of the shard (from its --json summary), and their distance from the mean of the
# N shards. The walk's share is measured apart: a shard of 1 in 1000 (about 10 files) does
# almost nothing but walk the whole tree and hash every name. Results go to stdout and
# $CORPUS/shard.md; a shard more than 10 % from the mean in files or bytes is flagged OFF.
# Needs: jq, bc (apt-get install jq bc).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/common.sh
source bench/common.sh
bench_setup jq bc
RUNS=${RUNS:-5}
JOB=${JOB:---to zst}
tree=$CORPUS/tree
out=$CORPUS/shard-out
find "$tree" -type f -exec cat {} + >/dev/null

results=$CORPUS/shard.md
: >"$results"
say() { echo "$*" | tee -a "$results"; }

# Median wall time in seconds of RUNS runs of a command (outputs removed first each time).
median_secs() {
  local times=() start end i
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$out"
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

# shellcheck disable=SC2086 # JOB is a list of options
summary() { "$bin" -q convert --json $JOB --shard "$1" "$tree" "$out" | tail -1; }

say "## --shard on $(nproc) cores, $(date -u +%F): convert $JOB of $(find "$tree" -type f | wc -l) files, $(du -sb "$tree" | cut -f1) bytes; median of $RUNS"
# shellcheck disable=SC2086
walk=$(median_secs "$bin" -q convert $JOB --shard 0/1000 "$tree" "$out")
say "walk alone (--shard 0/1000: the whole tree walked, ~10 files converted): $walk s"
say ""
say "| N | K | files | ±mean | input bytes | ±mean | wall s | share of N=1 | share without the walk |"
say "|---|---|---|---|---|---|---|---|---|"
for n in 1 2 4 8; do
  files=() bytes=() walls=()
  for ((k = 0; k < n; k++)); do
    line=$(summary "$k/$n")
    files+=("$(jq .ok <<<"$line")")
    bytes+=("$(jq .bytes_in <<<"$line")")
    # shellcheck disable=SC2086
    walls+=("$(median_secs "$bin" -q convert $JOB --shard "$k/$n" "$tree" "$out")")
  done
  [ "$n" = 1 ] && whole=${walls[0]}
  mean_files=$(printf '%s\n' "${files[@]}" | awk '{s+=$1} END {printf "%.3f", s/NR}')
  mean_bytes=$(printf '%s\n' "${bytes[@]}" | awk '{s+=$1} END {printf "%.3f", s/NR}')
  total=0
  for ((k = 0; k < n; k++)); do
    df=$(echo "100 * (${files[k]} - $mean_files) / $mean_files" | bc -l)
    db=$(echo "100 * (${bytes[k]} - $mean_bytes) / $mean_bytes" | bc -l)
    share=$(echo "${walls[k]} / $whole" | bc -l)
    work=$(echo "(${walls[k]} - $walk) / ($whole - $walk)" | bc -l)
    total=$(echo "$total + ${walls[k]}" | bc -l)
    flag=$(echo "${df#-} > 10 || ${db#-} > 10" | bc -l)
    printf '| %s | %s | %s | %+.1f %% | %s | %+.1f %% | %s | %.3f | %.3f |%s\n' \
      "$n" "$k" "${files[k]}" "$df" "${bytes[k]}" "$db" "${walls[k]}" "$share" "$work" \
      "$( ((flag)) && echo ' OFF: beyond ±10 % of the mean')" | tee -a "$results"
  done
  printf '| %s | sum | | | | | %.3f (%.2f x N=1) | mean %.3f (1/N = %.3f) | |\n' \
    "$n" "$total" "$(echo "$total / $whole" | bc -l)" "$(echo "$total / $whole / $n" | bc -l)" \
    "$(echo "1 / $n" | bc -l)" | tee -a "$results"
done
rm -rf "$out"
