# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_asyncfiles_global_optspecs
    string join \n q/quiet v/verbose h/help V/version
end

function __fish_asyncfiles_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_asyncfiles_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_asyncfiles_using_subcommand
    set -l cmd (__fish_asyncfiles_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -s q -l quiet -d 'Print nothing but errors (no skip notes, no summary)'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -s v -l verbose -d 'Print a line per file (-v); -vv adds walker decisions'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -s h -l help -d 'Print help'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -s V -l version -d 'Print version'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -f -a "convert" -d 'Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -f -a "hash" -d 'Print BLAKE3 hashes of files and trees in b3sum\'s format, or check them (--check)'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -f -a "stats" -d 'Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -f -a "cat" -d 'Write the decoded content of files and trees to stdout, in path order (zcat -r)'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -f -a "grep" -d 'Search the decoded content of files and trees for lines matching a pattern (grep for compressed logs)'
complete -c asyncfiles -n "__fish_asyncfiles_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l include -d 'Only process files that GLOB matches, with gitignore\'s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l exclude -d 'Skip files, and do not enter directories, that GLOB matches (gitignore\'s rules, as --include; repeatable; wins over --include)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l include-from -d 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l exclude-from -d 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l min-size -d 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l max-size -d 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l changed-within -d 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l changed-before -d 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l max-depth -d 'Descend at most N directory levels below IN (1: only the files directly in IN)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l files-from -d 'Read the files to process from FILE (- for stdin), one path relative to IN per line' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l shard -d 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l shards -d 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l eol -d 'Line endings of the output: keep them, or normalise to LF or CRLF' -r -f -a "keep\t'Leave line endings as they are'
lf\t'Turn CRLF line endings into LF'
crlf\t'Turn LF line endings into CRLF'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l from -d 'Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none reads bytes as they are; a format decodes every input as that format' -r -f -a "auto\t'Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain'
none\t'Read bytes as they are'
gz\t'gzip (also: gzip)'
zst\t'Zstandard (also: zstd)'
xz\t'xz'
bz2\t'bzip2 (also: bzip2)'
br\t'brotli (also: brotli)'
lzma\t'LZMA_Alone (.lzma)'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l to -d 'Encode outputs: keep each file\'s own format (and name), none for plain text, or a format; a decoded file loses its compression extension, an encoded one gains its own' -r -f -a "keep\t'Each file in the format it came in'
none\t'Plain, decoded'
gz\t'gzip (also: gzip)'
zst\t'Zstandard (also: zstd)'
xz\t'xz'
bz2\t'bzip2 (also: bzip2)'
br\t'brotli (also: brotli)'
lzma\t'LZMA_Alone (.lzma)'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l level -d 'Compression level on the format\'s own scale: gz 1-9 (default 6), zst 1-19 (3), xz 0-9 (6), bz2 1-9 (9), br 0-11 (11), lzma 0-9 (6). -1 … -19 say the same, as for gzip and zstd (-0 is --null: write --level 0); the last level given wins' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s j -l jobs -d 'Process at most N files at once [default: number of CPUs]' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s T -l threads -d 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l manifest -d 'Write a b3sum-format manifest of the outputs to FILE (paths relative to OUT, sorted), hashed as they are written; verify it with `cd OUT && asyncfiles hash --check FILE`' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l max-rate -d 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync\'s --bwlimit' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l timeout -d 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l retries -d 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l retry-delay -d 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l progress -d 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never' -r -f -a "auto\t'Only when stderr is a terminal (never in pipes, logs or CI)'
always\t'Always, even when stderr is not a terminal'
never\t'Never'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l grep -d 'Keep only lines matching RE (regex::bytes syntax, Unicode off unless (?u); repeatable)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l grep-v -d 'Drop lines matching RE (repeatable)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l replace -d 'Replace every match of RE in each line by REPL ($1, ${name} and $$ expand; repeatable)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l redact -d 'Mask values of KIND in each line as [KIND] (repeatable)' -r -f -a "ipv4\t'Dotted-quad IPv4 addresses (each octet at most 255)'
ipv6\t'IPv6 addresses (compressed forms, embedded IPv4, %zone)'
email\t'E-mail addresses'
uuid\t'UUIDs (8-4-4-4-12 hex digits)'
secret\t'Values of key=value or key: value pairs whose key contains password, passwd, passphrase, pwd, token, secret (so aws_secret_access_key), api_key, api-key, apikey, private_key, private-key, privatekey or authorization, or ends in cookie or in the word pass (db_pass, not bypass): a quoted value to its closing quote, an authorization or cookie value to the end of the line, any other to the next blank , ; & quote or escaped quote (a Bearer, Basic or Token word goes with it); the password of scheme://user:PASSWORD@host; and anywhere, unless glued to a letter, digit, _ . or -: AWS access key ids (AKIA or ASIA and 16 more), GitHub tokens (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ and 30 or more), GitLab (glpat- and 20 or more), Slack (xoxb- xoxp- xoxa- xoxr- xoxs- xapp- and 10 or more) and JWTs (eyJ....eyJ.... and a signature, maybe empty)'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l redact-key -d 'With --redact: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l max-line-bytes -d 'With line transforms: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB, MiB, GiB, TiB; KB, MB, GB, TB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l in-place -d 'Write each output beside its input (a.log -> a.log.zst with --to zst) and remove the input once the output is complete and synced to disk; no OUT'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s k -l keep -d 'With --in-place: keep the inputs'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s L -l follow -d 'Follow symbolic links (by default they are skipped and reported)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s 0 -l null -d 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l fsync -d 'Sync each output file and its directory to disk before moving on (slower; for durability)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s a -l archive -d 'Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s n -l dry-run -d 'Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l incremental -d 'Skip a file whose output exists with the input\'s modification time (a finished output has it), so that a rerun after an interruption does only what is left'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l force -d 'Convert every file, even with --incremental; with --in-place, also replace an output that exists already (a.log.zst beside a.log)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l json -d 'Write one JSON object per file to stdout ({"path","output","status","bytes_in",…}) and a final {"type":"summary",…}; human messages stay on stderr'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l fail-fast -d 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l trim -d 'Remove spaces and tabs at the end of each line'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -l drop-empty -d 'Drop lines that are empty (after the transforms before this one)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s q -l quiet -d 'Print nothing but errors (no skip notes, no summary)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s v -l verbose -d 'Print a line per file (-v); -vv adds walker decisions'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand convert" -s V -l version -d 'Print version'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s c -l check -d 'Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l max-rate -d 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync\'s --bwlimit' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l timeout -d 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l retries -d 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l retry-delay -d 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l progress -d 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never' -r -f -a "auto\t'Only when stderr is a terminal (never in pipes, logs or CI)'
always\t'Always, even when stderr is not a terminal'
never\t'Never'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l include -d 'Only process files that GLOB matches, with gitignore\'s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l exclude -d 'Skip files, and do not enter directories, that GLOB matches (gitignore\'s rules, as --include; repeatable; wins over --include)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l include-from -d 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l exclude-from -d 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l min-size -d 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l max-size -d 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l changed-within -d 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l changed-before -d 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l max-depth -d 'Descend at most N directory levels below IN (1: only the files directly in IN)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l files-from -d 'Read the files to process from FILE (- for stdin), one path relative to IN per line' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l shard -d 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l shards -d 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s j -l jobs -d 'Process at most N files at once [default: number of CPUs]' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s T -l threads -d 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l merge -d 'Merge the manifests given as PATHs (b3sum format, each sorted by path, as hash and convert --manifest write them; - for standard input) into one on stdout, sorted by path: the manifests of the shards of a run merge into the one an unsharded run writes'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l ignore-missing -d 'With --check: a listed file that does not exist is neither reported nor a failure (but a check that verifies no file at all fails: run in the wrong directory, it would pass)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l status -d 'With --check: print nothing, let the exit code tell (only an error that stops the check, exit 2, such as a malformed manifest, is still said on stderr)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l strict -d 'With --check: a malformed manifest line fails the check (exit 2, before anything is hashed). Always so, as with b3sum; accepted for sha256sum\'s command lines'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l decompressed -d 'Hash the decoded content of compressed files (gzip, zstd, xz, bzip2 by content, brotli and lzma by name), so that a.log and a.log.gz of the same text hash the same'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l unsorted -d 'Print each line as its file is done instead of sorted by path (for trees too large to hold their list of names in memory)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l fail-fast -d 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -l json -d 'One JSON object per file on stdout ({"path","status","blake3","bytes","ms"}, or "reason"/"error"), then {"type":"summary",…}, instead of b3sum lines'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s L -l follow -d 'Follow symbolic links (by default they are skipped and reported)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s 0 -l null -d 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s q -l quiet -d 'Print nothing but errors (no skip notes, no summary)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s v -l verbose -d 'Print a line per file (-v); -vv adds walker decisions'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand hash" -s V -l version -d 'Print version'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l max-rate -d 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync\'s --bwlimit' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l timeout -d 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l retries -d 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l retry-delay -d 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l progress -d 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never' -r -f -a "auto\t'Only when stderr is a terminal (never in pipes, logs or CI)'
always\t'Always, even when stderr is not a terminal'
never\t'Never'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l include -d 'Only process files that GLOB matches, with gitignore\'s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l exclude -d 'Skip files, and do not enter directories, that GLOB matches (gitignore\'s rules, as --include; repeatable; wins over --include)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l include-from -d 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l exclude-from -d 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l min-size -d 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l max-size -d 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l changed-within -d 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l changed-before -d 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l max-depth -d 'Descend at most N directory levels below IN (1: only the files directly in IN)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l files-from -d 'Read the files to process from FILE (- for stdin), one path relative to IN per line' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l shard -d 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l shards -d 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s j -l jobs -d 'Process at most N files at once [default: number of CPUs]' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s T -l threads -d 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l json -d 'One JSON object per line: {"path":…,"lines":…,"bytes":…} per file, then the total'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -l fail-fast -d 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s L -l follow -d 'Follow symbolic links (by default they are skipped and reported)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s 0 -l null -d 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s q -l quiet -d 'Print nothing but errors (no skip notes, no summary)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s v -l verbose -d 'Print a line per file (-v); -vv adds walker decisions'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand stats" -s V -l version -d 'Print version'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l include -d 'Only process files that GLOB matches, with gitignore\'s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l exclude -d 'Skip files, and do not enter directories, that GLOB matches (gitignore\'s rules, as --include; repeatable; wins over --include)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l include-from -d 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l exclude-from -d 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l min-size -d 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l max-size -d 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l changed-within -d 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l changed-before -d 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l max-depth -d 'Descend at most N directory levels below IN (1: only the files directly in IN)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l files-from -d 'Read the files to process from FILE (- for stdin), one path relative to IN per line' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l shard -d 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l shards -d 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l eol -d 'Line endings of the output: keep them, or normalise to LF or CRLF' -r -f -a "keep\t'Leave line endings as they are'
lf\t'Turn CRLF line endings into LF'
crlf\t'Turn LF line endings into CRLF'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l from -d 'Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none writes bytes as they are; a format decodes every input as that format' -r -f -a "auto\t'Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain'
none\t'Read bytes as they are'
gz\t'gzip (also: gzip)'
zst\t'Zstandard (also: zstd)'
xz\t'xz'
bz2\t'bzip2 (also: bzip2)'
br\t'brotli (also: brotli)'
lzma\t'LZMA_Alone (.lzma)'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s j -l jobs -d 'Process at most N files at once [default: number of CPUs]' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s T -l threads -d 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l grep -d 'Keep only lines matching RE (regex::bytes syntax, Unicode off unless (?u); repeatable)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l grep-v -d 'Drop lines matching RE (repeatable)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l replace -d 'Replace every match of RE in each line by REPL ($1, ${name} and $$ expand; repeatable)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l redact -d 'Mask values of KIND in each line as [KIND] (repeatable)' -r -f -a "ipv4\t'Dotted-quad IPv4 addresses (each octet at most 255)'
ipv6\t'IPv6 addresses (compressed forms, embedded IPv4, %zone)'
email\t'E-mail addresses'
uuid\t'UUIDs (8-4-4-4-12 hex digits)'
secret\t'Values of key=value or key: value pairs whose key contains password, passwd, passphrase, pwd, token, secret (so aws_secret_access_key), api_key, api-key, apikey, private_key, private-key, privatekey or authorization, or ends in cookie or in the word pass (db_pass, not bypass): a quoted value to its closing quote, an authorization or cookie value to the end of the line, any other to the next blank , ; & quote or escaped quote (a Bearer, Basic or Token word goes with it); the password of scheme://user:PASSWORD@host; and anywhere, unless glued to a letter, digit, _ . or -: AWS access key ids (AKIA or ASIA and 16 more), GitHub tokens (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ and 30 or more), GitLab (glpat- and 20 or more), Slack (xoxb- xoxp- xoxa- xoxr- xoxs- xapp- and 10 or more) and JWTs (eyJ....eyJ.... and a signature, maybe empty)'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l redact-key -d 'With --redact: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l max-line-bytes -d 'With line transforms: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB, MiB, GiB, TiB; KB, MB, GB, TB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s L -l follow -d 'Follow symbolic links (by default they are skipped and reported)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s 0 -l null -d 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l trim -d 'Remove spaces and tabs at the end of each line'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -l drop-empty -d 'Drop lines that are empty (after the transforms before this one)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s q -l quiet -d 'Print nothing but errors (no skip notes, no summary)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s v -l verbose -d 'Print a line per file (-v); -vv adds walker decisions'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand cat" -s V -l version -d 'Print version'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s e -l regexp -d 'A pattern to search for (repeatable: a line matching any of them matches)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s f -l file -d 'Read patterns from FILE, one a line (repeatable; an empty file matches nothing)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s m -l max-count -d 'Stop reading a file after NUM selected lines' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s A -l after-context -d 'Print NUM lines of context after each selected line' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s B -l before-context -d 'Print NUM lines of context before each selected line' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s C -l context -d 'Print NUM lines of context before and after each selected line (groups apart are separated by --)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l color -d 'Highlight matches, file names and line numbers: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t'When stdout is a terminal and NO_COLOR is unset or empty'
always\t'Always (even with NO_COLOR)'
never\t'Never'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l sort -d 'Print files in this order (the search still runs in parallel): path, or none (as they finish)' -r -f -a "none\t'As files finish'
path\t'By path, byte by byte'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l max-line-bytes -d 'Fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB … TiB; KB … TB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l from -d 'Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, brotli and lzma by a .br or .lzma name; none searches bytes as they are; a format decodes every input as it' -r -f -a "auto\t'Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain'
none\t'Read bytes as they are'
gz\t'gzip (also: gzip)'
zst\t'Zstandard (also: zstd)'
xz\t'xz'
bz2\t'bzip2 (also: bzip2)'
br\t'brotli (also: brotli)'
lzma\t'LZMA_Alone (.lzma)'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l include -d 'Only process files that GLOB matches, with gitignore\'s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l exclude -d 'Skip files, and do not enter directories, that GLOB matches (gitignore\'s rules, as --include; repeatable; wins over --include)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l include-from -d 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l exclude-from -d 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l min-size -d 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l max-size -d 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l changed-within -d 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l changed-before -d 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l max-depth -d 'Descend at most N directory levels below IN (1: only the files directly in IN)' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l files-from -d 'Read the files to process from FILE (- for stdin), one path relative to IN per line' -r -F
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l shard -d 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l shards -d 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s j -l jobs -d 'Process at most N files at once [default: number of CPUs]' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s T -l threads -d 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l max-rate -d 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync\'s --bwlimit' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l timeout -d 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l retries -d 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l retry-delay -d 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter' -r
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l progress -d 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never' -r -f -a "auto\t'Only when stderr is a terminal (never in pipes, logs or CI)'
always\t'Always, even when stderr is not a terminal'
never\t'Never'"
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s F -l fixed-strings -d 'The patterns are fixed strings, not regular expressions'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s i -l ignore-case -d 'Match case-insensitively'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s S -l smart-case -d 'Match case-insensitively unless a pattern has an upper-case letter'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s w -l word-regexp -d 'Only match whole words (the match between non-word characters or line ends)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s x -l line-regexp -d 'Only match whole lines'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s v -l invert-match -d 'Select the lines that do not match'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s c -l count -d 'Print only a count of selected lines per file (PATH:COUNT)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s l -l files-with-matches -d 'Print only the names of files with a selected line'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s o -l only-matching -d 'Print only the matched parts of lines, each on a line of its own'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s q -l quiet -d 'Print nothing; exit 0 at the first selected line (the search stops there)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s n -l line-number -d 'Print line numbers (the default when stdout is a terminal)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s N -l no-line-number -d 'Do not print line numbers'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s H -l with-filename -d 'Print the file name with each line (the default when more than one file is searched)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l no-filename -d 'Never print file names'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s a -l text -d 'Search binary files (decoded content with a NUL byte) as text'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l json -d 'Print JSON lines as rg --json does: begin, match, context, end per file, then summary'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l fail-fast -d 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l follow -d 'Follow symbolic links (by default they are skipped and reported)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -l files-null -d 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s L -l files-without-match -d 'Print only the names of files without a selected line (-L)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s 0 -l null -d 'Write a NUL byte after each file name instead of : or a newline (-0)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand grep" -s V -l version -d 'Print version'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand help; and not __fish_seen_subcommand_from convert hash stats cat grep help" -f -a "convert" -d 'Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand help; and not __fish_seen_subcommand_from convert hash stats cat grep help" -f -a "hash" -d 'Print BLAKE3 hashes of files and trees in b3sum\'s format, or check them (--check)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand help; and not __fish_seen_subcommand_from convert hash stats cat grep help" -f -a "stats" -d 'Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand help; and not __fish_seen_subcommand_from convert hash stats cat grep help" -f -a "cat" -d 'Write the decoded content of files and trees to stdout, in path order (zcat -r)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand help; and not __fish_seen_subcommand_from convert hash stats cat grep help" -f -a "grep" -d 'Search the decoded content of files and trees for lines matching a pattern (grep for compressed logs)'
complete -c asyncfiles -n "__fish_asyncfiles_using_subcommand help; and not __fish_seen_subcommand_from convert hash stats cat grep help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
