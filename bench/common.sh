# shellcheck shell=bash
# Shared setup of the benchmark scripts: check the tools, build, make the corpus once.
#   bench_setup TOOL...   sets CORPUS (default /tmp/asyncfiles-bench), bin and gen
bench_setup() {
  CORPUS=${CORPUS:-/tmp/asyncfiles-bench}
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install it)" >&2; exit 2; }
  done
  cargo build --release --quiet --bin asyncfiles --example gen-corpus
  bin=$PWD/target/release/asyncfiles
  gen=$PWD/target/release/examples/gen-corpus
  mkdir -p "$CORPUS"
  [ -d "$CORPUS/tree" ] || "$gen" tree "$CORPUS/tree"
}

# Peak RSS and wall time of one command, as a markdown row appended to $results. The outputs
# the benchmarks write ($CORPUS/out, $CORPUS/big.out) are removed first; stdout is discarded.
#   peak LABEL COMMAND...
peak() {
  local label=$1; shift
  rm -rf "$CORPUS/out" "$CORPUS/big.out"
  /usr/bin/time -f "%M %e" -o "$CORPUS/time.txt" "$@" >/dev/null
  local kib secs
  read -r kib secs <"$CORPUS/time.txt"
  printf '| %s | %s MiB | %s s |\n' "$label" "$((kib / 1024))" "$secs" | tee -a "$results"
}
