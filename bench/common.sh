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
