#!/usr/bin/env bash
# The README's Slurm recipe on a real Slurm cluster (issue 12): starts a one-node cluster
# (munged, slurmctld, slurmd) whose every file lives in one temp dir, runs the recipe's batch
# scripts exactly as README.md gives them (the fenced blocks after `<!-- recipe: slurm/NAME -->`)
# on a generated tree, with a smaller array, then compares OUT and the merged manifest byte for
# byte with an unsharded run of the same convert command. Prints one PASS or FAIL line.
#
#   sudo bash .ci/slurm.sh                         # after `cargo build`
#   ASYNCFILES_BIN=target/release/asyncfiles bash .ci/slurm.sh
#   ASYNCFILES_SLURM_SHARDS=8 ASYNCFILES_SLURM_KEEP=1 bash .ci/slurm.sh   # keep the temp dir
#
# Needs root, Debian's slurm-wlm and munge (`.ci/run` installs them), gzip, zstd and xz.
# Nothing is written outside the temp dir: slurm.conf is found through SLURM_CONF, munged gets
# its own socket there (the existing /etc/munge/munge.key is used, or a key made in the temp
# dir), and the daemons are stopped by the pids in their pid files by a trap, on success and
# failure alike. Slurm's ports are 6817 and 6818 (ASYNCFILES_SLURM_PORT moves both).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
shards=${ASYNCFILES_SLURM_SHARDS:-4}
port=${ASYNCFILES_SLURM_PORT:-6817}
host=$(hostname -s)

fail() {
  echo "slurm recipe: FAIL: $*" >&2
  exit 1
}

# --- preconditions ------------------------------------------------------------------------------
((EUID == 0)) || fail "must run as root (munged, slurmctld and slurmd are started here)"
for tool in munged munge unmunge slurmctld slurmd sbatch sinfo squeue scontrol scancel runuser \
  gzip zstd xz; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install slurm-wlm munge)"
done
bin=${ASYNCFILES_BIN:-target/debug/asyncfiles}
[[ -x $bin ]] || fail "$bin is not an executable (run cargo build, or set ASYNCFILES_BIN)"
bin=$(realpath "$bin")
[[ $shards =~ ^[1-9][0-9]*$ ]] || fail "ASYNCFILES_SLURM_SHARDS must be a positive number"
# Another Slurm on these ports would answer our sbatch: refuse rather than submit to it.
for p in "$port" $((port + 1)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    fail "port $p is in use (another slurmctld or slurmd?): set ASYNCFILES_SLURM_PORT"
  fi
done

tmp=$(mktemp -d /tmp/asyncfiles-slurm.XXXXXX)
chmod 755 "$tmp" # munged runs as user munge and must reach its socket directory

# --- cleanup: stop the daemons by their pid files, remove the temp dir --------------------------
# SIGTERM the pids held in the pid FILEs (all at once: slurmd and slurmctld take seconds to shut
# down), wait up to 10 s for them to exit, then SIGKILL those left.
stop() {
  local file pid pids=()
  for file in "$@"; do
    pid=$(cat "$file" 2>/dev/null) || continue
    [[ $pid =~ ^[0-9]+$ ]] && kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  for pid in "${pids[@]+"${pids[@]}"}"; do
    for _ in {1..100}; do
      kill -0 "$pid" 2>/dev/null || continue 2
      sleep 0.1
    done
    echo "slurm.sh: pid $pid still running after 10 s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  set +e
  trap "" INT TERM # a second signal must not cut the cleanup short
  if [[ -s $tmp/slurmctld.pid ]]; then
    # Jobs still queued or running (a failure or a timeout) are cancelled first, so that no
    # slurmstepd outlives slurmd.
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null)
    if [[ -n $jobs ]]; then
      # shellcheck disable=SC2086 # one job id per word
      scancel $jobs
      for _ in {1..50}; do
        [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break
        sleep 0.1
      done
    fi
  fi
  stop "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munge/munged.pid"
  if [[ -n ${ASYNCFILES_SLURM_KEEP:-} ]]; then
    echo "slurm.sh: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The last lines of the daemons' logs, after a failure to start.
show_logs() {
  local log
  for log in "$tmp"/munge/munged.log "$tmp"/log/*.log; do
    [[ -f $log ]] && { echo "--- $log" && tail -n 15 "$log"; } >&2
  done
  return 0
}

# --- munge --------------------------------------------------------------------------------------
mkdir "$tmp/munge"
key=/etc/munge/munge.key
if [[ ! -s $key ]]; then
  key=$tmp/munge/munge.key
  mungekey --create --keyfile="$key"
fi
chown -R munge:munge "$tmp/munge"
socket=$tmp/munge/munge.socket
runuser -u munge -- "$(command -v munged)" --key-file="$key" --socket="$socket" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
  --seed-file="$tmp/munge/munged.seed" || { show_logs && fail "munged did not start"; }
munge -S "$socket" -n | unmunge -S "$socket" >/dev/null ||
  { show_logs && fail "munge -n | unmunge failed"; }

# --- slurmctld and slurmd -----------------------------------------------------------------------
mkdir "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/work"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# A merge job whose array failed is cancelled instead of pending forever.
DependencyParameters=kill_invalid_depend
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld || { show_logs && fail "slurmctld did not start"; }
slurmd || { show_logs && fail "slurmd did not start"; }
state=
for _ in {1..300}; do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.1
done
[[ $state == idle ]] || { show_logs && fail "node $host not idle after 30 s (state: ${state:-none})"; }
echo "slurm.sh: one-node cluster up ($host, $(nproc) CPUs) in $((SECONDS - started)) s"

# --- the recipe, from README.md -----------------------------------------------------------------
# The fenced block right after the line `<!-- recipe: NAME -->`.
recipe() {
  awk -v mark="<!-- recipe: $1 -->" '
    armed == 2 && /^```/ { found = 1; exit }
    armed == 2 { print; next }
    armed == 1 && /^```/ { armed = 2; next }
    armed == 1 { exit }
    $0 == mark { armed = 1 }
    END { exit !found }' README.md
}
for name in convert.sh merge.sh; do
  recipe "slurm/$name" >"$tmp/work/$name" ||
    fail "README.md has no fenced block after <!-- recipe: slurm/$name -->"
done
grep -q '^#SBATCH --array=' "$tmp/work/convert.sh" || fail "convert.sh has no #SBATCH --array line"

# The reference: the recipe's convert command (continuation lines joined) without --shard auto,
# with its manifest written elsewhere.
command=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$tmp/work/convert.sh" | grep -m1 'asyncfiles convert') ||
  fail "convert.sh has no asyncfiles convert command"
shard_option=' --shard auto'
[[ $command == *"$shard_option"* ]] || fail "convert.sh's command has no$shard_option: $command"
# shellcheck disable=SC2016 # $MANIFESTS is expanded by the eval below, like the recipe's own
reference=$(sed -E 's/ --manifest +[^ ]+/ --manifest "$MANIFESTS\/unsharded.b3"/' <<<"${command/"$shard_option"/}")
[[ $reference == *unsharded.b3* ]] || fail "convert.sh's command has no --manifest: $command"
[[ $command == *--incremental* ]] || fail "convert.sh's command has no --incremental: $command"

# --- a generated tree ---------------------------------------------------------------------------
# A few hundred small logs of a few KB in nested directories, odd names (spaces, a leading dash,
# hidden, non-ASCII), empty files, several modes, a fifth of them gzip, zstd or xz compressed
# (never two inputs with one output name: that is a conflict, tested elsewhere), plus fixtures/.
in=$tmp/in
mkdir -p "$in"
cp -a fixtures/logs "$in/fixtures"
awk -v root="$in" 'BEGIN {
  split("app|nginx|db/2026/11|db/2026/12|with space|ünïcödé|deep/a/b/c/d|-dash|.hidden", dirs, "|")
  split("f%d.log|access.log.%d|-lead%d.log|.hidden%d.log|name with space %d.log|日志%d.log|x%d.jsonl", names, "|")
  for (d = 1; d <= 9; d++) {
    system("mkdir -p \"" root "/" dirs[d] "\"")
    for (i = 0; i < 36; i++) {
      n = d * 100 + i
      path = root "/" dirs[d] "/" sprintf(names[i % 7 + 1], n)
      lines = (n % 17 == 0) ? 0 : 20 + n % 60
      printf "" > path
      for (l = 0; l < lines; l++)
        printf "2026-11-%02d %02d:%02d:%02d host%d app[%d]: request %d from 10.0.%d.%d took %d ms\n",
          1 + n % 28, l % 24, n % 60, l % 60, d, n, l, d, l, (n * l) % 997 > path
      close(path)
    }
  }
}'
find "$in" -path "$in/fixtures" -prune -o -type f -name '*3.log' -print0 | xargs -0 gzip -n
find "$in" -path "$in/fixtures" -prune -o -type f -name '*5.log' -print0 | xargs -0 zstd -q --rm
find "$in" -path "$in/fixtures" -prune -o -type f -name '*7.log' -print0 | xargs -0 xz
find "$in" -type f -name '*1.*' -exec chmod 600 {} +
find "$in" -type f -name '*9.*' -exec chmod 755 {} +
chmod 750 "$in/db"
chmod 555 "$in/deep/a/b" # read-only: no shard may lock the others out of its mirror
files=$(find "$in" -type f | wc -l)

# --- run it: the array with $shards tasks, the merge job after it --------------------------------
PATH=$(dirname "$bin"):$PATH
out=$tmp/out
export IN=$in OUT=$out MANIFESTS=$tmp/manifests PATH
# The jobs inherit this environment (sbatch --export=ALL). Without a delay a task is over in a
# few ms, before the next one starts; 20 ms per file (the test-only seam of README "Testing
# only") keeps the tasks that run side by side in OUT at the same time.
export ASYNCFILES_TEST_DELAY_MS=20
cd "$tmp/work"
jobid=$(sbatch --parsable --array=0-$((shards - 1)) convert.sh) || fail "sbatch convert.sh failed"
echo "slurm.sh: array job $jobid of $shards tasks on $files files"
# Polled here rather than with sbatch --wait, which backs off to sleeps of many seconds (and exits
# 0 for a merge job cancelled because its dependency failed: the state of every job tells).
merge=$(sbatch --parsable --dependency=afterok:"$jobid" merge.sh) || fail "sbatch merge.sh failed"
echo "slurm.sh: merge job $merge after it"
# Waits (at most 120 s) until the queue is empty; prints a line per job Slurm still knows:
# JobId, ArrayTaskId, JobName, JobState, ExitCode.
wait_for_jobs() {
  local deadline=$((SECONDS + 120))
  while [[ -n $(squeue -h -o %i) ]]; do
    ((SECONDS < deadline)) || fail "the Slurm jobs did not finish within 120 s"
    sleep 0.5
  done
  scontrol -o show job | awk '{
    line = ""
    for (i = 1; i <= NF; i++)
      if ($i ~ /^(JobId|ArrayTaskId|JobName|JobState|ExitCode)=/) line = line (line ? " " : "") $i
    print line
  }'
}
jobs=$(wait_for_jobs)
if [[ $(grep -vc 'JobState=COMPLETED ExitCode=0:0$' <<<"$jobs") != 0 ]]; then
  echo "$jobs" >&2
  for log in "$tmp"/work/*.out; do
    [[ -f $log ]] && { echo "--- $log" && tail -n 10 "$log"; } >&2
  done
  fail "the Slurm jobs did not all succeed"
fi
cd "$repo"

# The unsharded run.
ref=$tmp/ref
(unset ASYNCFILES_TEST_DELAY_MS && OUT=$ref && eval "$reference") 2>"$tmp/reference.err" ||
  { cat "$tmp/reference.err" >&2 && fail "the unsharded run failed: $reference"; }

# --- compare ------------------------------------------------------------------------------------
# Every entry of a tree, one line each, in the find -printf FORMAT given.
listing() { (cd "$1" && find . -printf "$2" | LC_ALL=C sort); }
differs=()
compare() { # WHAT FILE1 FILE2: note WHAT and show the start of the diff when they differ
  if ! diff "$2" "$3" >"$tmp/diff.txt"; then
    differs+=("$1")
    echo "--- $1 (< unsharded, > Slurm)" >&2
    head -n 20 "$tmp/diff.txt" >&2
  fi
}
files() { listing "$1" '%y %m %s %T@ %P\n' | grep -v '^d'; } # type, mode, size, mtime
dirs() { listing "$1" '%y %m %P\n' | grep '^d'; }
# A sharded run leaves a directory with its source's mode plus the owner's rwx, and with the time
# the last write into it gave it (README, "Writing into one OUT"): modes are compared so adjusted,
# times only after the settling run below.
owner_rwx() {
  local type mode path
  while read -r type mode path; do
    printf '%s %o %s\n' "$type" $((8#$mode | 8#700)) "$path"
  done
}
diff -r --no-dereference "$ref" "$out" >"$tmp/contents.diff" 2>&1 ||
  { differs+=("contents (diff -r)") && echo "--- diff -r" >&2 && head -n 20 "$tmp/contents.diff" >&2; }
compare "files' types, modes, sizes or mtimes" <(files "$ref") <(files "$out")
compare "directories or their modes (u+rwx)" <(dirs "$ref" | owner_rwx | LC_ALL=C sort) <(dirs "$out")
[[ -f $MANIFESTS/all.b3 ]] || fail "merge.sh wrote no $MANIFESTS/all.b3"
compare "merged manifest" "$MANIFESTS/unsharded.b3" "$MANIFESTS/all.b3"
# The work was split: one manifest per task, none empty, no file in two of them.
count=$(find "$MANIFESTS" -name 'shard-*.b3' | wc -l)
((count == shards)) || differs+=("number of shard manifests ($count)")
for ((k = 0; k < shards; k++)); do
  [[ -s $MANIFESTS/shard-$k.b3 ]] || differs+=("shard-$k.b3 (missing or empty)")
done
compare "shard manifests together" <(LC_ALL=C sort "$MANIFESTS/unsharded.b3") \
  <(cat "$MANIFESTS"/shard-*.b3 | LC_ALL=C sort)

# The README's rerun of a failed task. Resubmitted alone, Slurm tells it that its array has one
# task: without N it must refuse (exit 2) and write nothing. With N given (ASYNCFILES_SHARDS),
# its task ID is its shard: it redoes only its lost output and rewrites no other file. Task 0,
# whose place in a one-task array is 0 as well: the refusal must not depend on the ID.
rerun=0
lost=$(grep -m1 '^[0-9a-f]' "$MANIFESTS/shard-$rerun.b3" | sed 's/^[0-9a-f]*  //')
[[ -n $lost && -f $out/$lost ]] || fail "shard-$rerun.b3 names no output to lose"
cp "$MANIFESTS/shard-$rerun.b3" "$tmp/shard-$rerun.before"
listing "$out" '%i %P\n' | grep -vF " $lost" >"$tmp/inodes.rerun"
rm "$out/$lost"
cd "$tmp/work"
alone=$(sbatch --parsable --array=$rerun convert.sh) || fail "sbatch --array=$rerun failed"
jobs=$(wait_for_jobs | grep "JobId=${alone}")
grep -q 'ExitCode=2:0' <<<"$jobs" || fail "a task resubmitted alone with --shard auto was not refused: $jobs"
grep -q 'not a whole split' "asyncfiles-${alone}_$rerun.out" ||
  fail "the refused task did not say why: $(cat "asyncfiles-${alone}_$rerun.out")"
[[ ! -e $out/$lost ]] || fail "the refused task wrote $lost"
named=$(ASYNCFILES_SHARDS=$shards sbatch --parsable --array=$rerun convert.sh) ||
  fail "ASYNCFILES_SHARDS=$shards sbatch --array=$rerun failed"
jobs=$(wait_for_jobs | grep "JobId=${named}")
grep -q 'JobState=COMPLETED ExitCode=0:0' <<<"$jobs" ||
  fail "the rerun with ASYNCFILES_SHARDS=$shards failed: $jobs"
cd "$repo"
[[ -f $out/$lost ]] || fail "the rerun did not write $lost again"
compare "inodes of the other outputs after the rerun" "$tmp/inodes.rerun" \
  <(listing "$out" '%i %P\n' | grep -vF " $lost")
compare "the rerun's manifest" "$tmp/shard-$rerun.before" "$MANIFESTS/shard-$rerun.b3"
cmp -s "$ref/$lost" "$out/$lost" || differs+=("the lost output, written again")

# The README's way to exact directories: the same command unsharded with --incremental over the
# sharded OUT writes no file (same inodes) and leaves OUT equal to the reference in every mode and
# time, and its manifest equal too.
settle=${reference//unsharded.b3/settled.b3}
listing "$out" '%i %P\n' >"$tmp/inodes.before"
(unset ASYNCFILES_TEST_DELAY_MS && eval "$settle") 2>"$tmp/settle.err" ||
  { cat "$tmp/settle.err" >&2 && fail "the settling run failed: $settle"; }
compare "inodes after the settling run (files rewritten)" "$tmp/inodes.before" <(listing "$out" '%i %P\n')
compare "modes or times after the settling run" <(listing "$ref" '%y %m %T@ %P\n') \
  <(listing "$out" '%y %m %T@ %P\n')
compare "settling run's manifest" "$MANIFESTS/unsharded.b3" "$MANIFESTS/settled.b3"

if ((${#differs[@]})); then
  fail "the Slurm run and the unsharded one differ: $(IFS=,; echo "${differs[*]}")"
fi
outputs=$(wc -l <"$MANIFESTS/unsharded.b3")
sizes=$(for ((k = 0; k < shards; k++)); do wc -l <"$MANIFESTS/shard-$k.b3"; done | paste -sd/)
echo "slurm recipe: PASS: $shards Slurm array tasks ($sizes files) and the merge job wrote the" \
  "$outputs outputs and the manifest of one unsharded run, byte for byte (directories exact" \
  "after the settling run); task $rerun resubmitted alone was refused, and rerun with" \
  "ASYNCFILES_SHARDS=$shards it redid only its lost output; $((SECONDS - started)) s"
