#compdef asyncfiles

autoload -U is-at-least

_asyncfiles() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'(-v --verbose)-q[Print nothing but errors (no skip notes, no summary)]' \
'(-v --verbose)--quiet[Print nothing but errors (no skip notes, no summary)]' \
'*-v[Print a line per file (-v); -vv adds walker decisions]' \
'*--verbose[Print a line per file (-v); -vv adds walker decisions]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_asyncfiles_commands" \
"*::: :->asyncfiles" \
&& ret=0
    case $state in
    (asyncfiles)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:asyncfiles-command-$line[1]:"
        case $line[1] in
            (convert)
_arguments "${_arguments_options[@]}" : \
'*--include=[Only process files that GLOB matches, with gitignore'\''s rules\: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)]:GLOB:_default' \
'*--exclude=[Skip files, and do not enter directories, that GLOB matches (gitignore'\''s rules, as --include; repeatable; wins over --include)]:GLOB:_default' \
'*--include-from=[Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)]:FILE:_files' \
'*--exclude-from=[Read --exclude patterns from FILE, one a line, as --include-from (repeatable)]:FILE:_files' \
'--min-size=[Only process files of at least SIZE bytes (K, M, G\: KiB, MiB, GiB; KB, MB, GB\: powers of 1000)]:SIZE:_default' \
'--max-size=[Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)]:SIZE:_default' \
'--changed-within=[Only process files modified at or after a time\: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12\:00\:00, 2026-11-30 12\:00\:00)]:DURATION|DATE:_default' \
'--changed-before=[Only process files modified before a time (as --changed-within)\: --changed-before 1d leaves alone the logs still being written]:DURATION|DATE:_default' \
'--max-depth=[Descend at most N directory levels below IN (1\: only the files directly in IN)]:N:_default' \
'--files-from=[Read the files to process from FILE (- for stdin), one path relative to IN per line]:FILE:_files' \
'--shard=[Process only shard K of N (K from 0)\: the files whose output path (for hash and stats\: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N]:K/N|auto:_default' \
'--shards=[With --shard auto\: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS]:N:_default' \
'--eol=[Line endings of the output\: keep them, or normalise to LF or CRLF]:MODE:((keep\:"Leave line endings as they are"
lf\:"Turn CRLF line endings into LF"
crlf\:"Turn LF line endings into CRLF"))' \
'--from=[Decode inputs\: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none reads bytes as they are; a format decodes every input as that format]:FORMAT:((auto\:"Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain"
none\:"Read bytes as they are"
gz\:"gzip (also\: gzip)"
zst\:"Zstandard (also\: zstd)"
xz\:"xz"
bz2\:"bzip2 (also\: bzip2)"
br\:"brotli (also\: brotli)"
lzma\:"LZMA_Alone (.lzma)"))' \
'--to=[Encode outputs\: keep each file'\''s own format (and name), none for plain text, or a format; a decoded file loses its compression extension, an encoded one gains its own]:FORMAT:((keep\:"Each file in the format it came in"
none\:"Plain, decoded"
gz\:"gzip (also\: gzip)"
zst\:"Zstandard (also\: zstd)"
xz\:"xz"
bz2\:"bzip2 (also\: bzip2)"
br\:"brotli (also\: brotli)"
lzma\:"LZMA_Alone (.lzma)"))' \
'--level=[Compression level on the format'\''s own scale\: gz 1-9 (default 6), zst 1-19 (3), xz 0-9 (6), bz2 1-9 (9), br 0-11 (11), lzma 0-9 (6). -1 … -19 say the same, as for gzip and zstd (-0 is --null\: write --level 0); the last level given wins]:N:_default' \
'-j+[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'--jobs=[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'-T+[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--threads=[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'(--in-place)--manifest=[Write a b3sum-format manifest of the outputs to FILE (paths relative to OUT, sorted), hashed as they are written; verify it with \`cd OUT && asyncfiles hash --check FILE\`]:FILE:_files' \
'--max-rate=[Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync'\''s --bwlimit]:RATE:_default' \
'--timeout=[Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on]:DURATION:_default' \
'--retries=[Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one]:N:_default' \
'--retry-delay=[First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter]:DURATION:_default' \
'--progress=[Show a progress bar on stderr\: auto (only when stderr is a terminal), always, never]:WHEN:((auto\:"Only when stderr is a terminal (never in pipes, logs or CI)"
always\:"Always, even when stderr is not a terminal"
never\:"Never"))' \
'*--grep=[Keep only lines matching RE (regex\:\:bytes syntax, Unicode off unless (?u); repeatable)]:RE:_default' \
'*--grep-v=[Drop lines matching RE (repeatable)]:RE:_default' \
'*--replace=[Replace every match of RE in each line by REPL (\$1, \${name} and \$\$ expand; repeatable)]:RE:_default:RE:_default' \
'*--redact=[Mask values of KIND in each line as \[KIND\] (repeatable)]:KIND:((ipv4\:"Dotted-quad IPv4 addresses (each octet at most 255)"
ipv6\:"IPv6 addresses (compressed forms, embedded IPv4, %zone)"
email\:"E-mail addresses"
uuid\:"UUIDs (8-4-4-4-12 hex digits)"
secret\:"Values of key=value or key\: value pairs whose key contains password, passwd, passphrase, pwd, token, secret (so aws_secret_access_key), api_key, api-key, apikey, private_key, private-key, privatekey or authorization, or ends in cookie or in the word pass (db_pass, not bypass)\: a quoted value to its closing quote, an authorization or cookie value to the end of the line, any other to the next blank , ; & quote or escaped quote (a Bearer, Basic or Token word goes with it); the password of scheme\://user\:PASSWORD@host; and anywhere, unless glued to a letter, digit, _ . or -\: AWS access key ids (AKIA or ASIA and 16 more), GitHub tokens (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ and 30 or more), GitLab (glpat- and 20 or more), Slack (xoxb- xoxp- xoxa- xoxr- xoxs- xapp- and 10 or more) and JWTs (eyJ....eyJ.... and a signature, maybe empty)"))' \
'--redact-key=[With --redact\: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run]:FILE:_files' \
'--max-line-bytes=[With line transforms\: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T\: KiB, MiB, GiB, TiB; KB, MB, GB, TB\: powers of 1000)]:SIZE:_default' \
'--in-place[Write each output beside its input (a.log -> a.log.zst with --to zst) and remove the input once the output is complete and synced to disk; no OUT]' \
'-k[With --in-place\: keep the inputs]' \
'--keep[With --in-place\: keep the inputs]' \
'-L[Follow symbolic links (by default they are skipped and reported)]' \
'--follow[Follow symbolic links (by default they are skipped and reported)]' \
'-0[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'--null[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'--fsync[Sync each output file and its directory to disk before moving on (slower; for durability)]' \
'-a[Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does]' \
'--archive[Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does]' \
'-n[Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory]' \
'--dry-run[Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory]' \
'--incremental[Skip a file whose output exists with the input'\''s modification time (a finished output has it), so that a rerun after an interruption does only what is left]' \
'--force[Convert every file, even with --incremental; with --in-place, also replace an output that exists already (a.log.zst beside a.log)]' \
'--json[Write one JSON object per file to stdout ({"path","output","status","bytes_in",…}) and a final {"type"\:"summary",…}; human messages stay on stderr]' \
'--fail-fast[Stop taking new files after the first failure (files in flight are abandoned cleanly)]' \
'*--trim[Remove spaces and tabs at the end of each line]' \
'*--drop-empty[Drop lines that are empty (after the transforms before this one)]' \
'(-v --verbose)-q[Print nothing but errors (no skip notes, no summary)]' \
'(-v --verbose)--quiet[Print nothing but errors (no skip notes, no summary)]' \
'*-v[Print a line per file (-v); -vv adds walker decisions]' \
'*--verbose[Print a line per file (-v); -vv adds walker decisions]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::paths -- IN… OUT\: inputs (directories, regular files, or - for stdin alone), then the output (a directory, a file path, or - for stdout); with --in-place, every PATH is an input:_files' \
&& ret=0
;;
(hash)
_arguments "${_arguments_options[@]}" : \
'-c+[Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW]:MANIFEST:_files' \
'--check=[Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW]:MANIFEST:_files' \
'--max-rate=[Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync'\''s --bwlimit]:RATE:_default' \
'--timeout=[Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on]:DURATION:_default' \
'--retries=[Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one]:N:_default' \
'--retry-delay=[First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter]:DURATION:_default' \
'--progress=[Show a progress bar on stderr\: auto (only when stderr is a terminal), always, never]:WHEN:((auto\:"Only when stderr is a terminal (never in pipes, logs or CI)"
always\:"Always, even when stderr is not a terminal"
never\:"Never"))' \
'*--include=[Only process files that GLOB matches, with gitignore'\''s rules\: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)]:GLOB:_default' \
'*--exclude=[Skip files, and do not enter directories, that GLOB matches (gitignore'\''s rules, as --include; repeatable; wins over --include)]:GLOB:_default' \
'*--include-from=[Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)]:FILE:_files' \
'*--exclude-from=[Read --exclude patterns from FILE, one a line, as --include-from (repeatable)]:FILE:_files' \
'--min-size=[Only process files of at least SIZE bytes (K, M, G\: KiB, MiB, GiB; KB, MB, GB\: powers of 1000)]:SIZE:_default' \
'--max-size=[Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)]:SIZE:_default' \
'--changed-within=[Only process files modified at or after a time\: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12\:00\:00, 2026-11-30 12\:00\:00)]:DURATION|DATE:_default' \
'--changed-before=[Only process files modified before a time (as --changed-within)\: --changed-before 1d leaves alone the logs still being written]:DURATION|DATE:_default' \
'--max-depth=[Descend at most N directory levels below IN (1\: only the files directly in IN)]:N:_default' \
'--files-from=[Read the files to process from FILE (- for stdin), one path relative to IN per line]:FILE:_files' \
'--shard=[Process only shard K of N (K from 0)\: the files whose output path (for hash and stats\: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N]:K/N|auto:_default' \
'--shards=[With --shard auto\: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS]:N:_default' \
'-j+[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'--jobs=[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'-T+[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--threads=[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'(-c --check --decompressed --unsorted --json --include --exclude --max-depth -L --follow --files-from -0 --null --shard --shards --include-from --exclude-from --min-size --max-size --changed-within --changed-before -j --jobs -T --threads --fail-fast --max-rate --timeout --retries --retry-delay --progress)--merge[Merge the manifests given as PATHs (b3sum format, each sorted by path, as hash and convert --manifest write them; - for standard input) into one on stdout, sorted by path\: the manifests of the shards of a run merge into the one an unsharded run writes]' \
'--ignore-missing[With --check\: a listed file that does not exist is neither reported nor a failure (but a check that verifies no file at all fails\: run in the wrong directory, it would pass)]' \
'--status[With --check\: print nothing, let the exit code tell (only an error that stops the check, exit 2, such as a malformed manifest, is still said on stderr)]' \
'--strict[With --check\: a malformed manifest line fails the check (exit 2, before anything is hashed). Always so, as with b3sum; accepted for sha256sum'\''s command lines]' \
'--decompressed[Hash the decoded content of compressed files (gzip, zstd, xz, bzip2 by content, brotli and lzma by name), so that a.log and a.log.gz of the same text hash the same]' \
'(-c --check)--unsorted[Print each line as its file is done instead of sorted by path (for trees too large to hold their list of names in memory)]' \
'--fail-fast[Stop taking new files after the first failure (files in flight are abandoned cleanly)]' \
'(-c --check)--json[One JSON object per file on stdout ({"path","status","blake3","bytes","ms"}, or "reason"/"error"), then {"type"\:"summary",…}, instead of b3sum lines]' \
'-L[Follow symbolic links (by default they are skipped and reported)]' \
'--follow[Follow symbolic links (by default they are skipped and reported)]' \
'-0[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'--null[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'(-v --verbose)-q[Print nothing but errors (no skip notes, no summary)]' \
'(-v --verbose)--quiet[Print nothing but errors (no skip notes, no summary)]' \
'*-v[Print a line per file (-v); -vv adds walker decisions]' \
'*--verbose[Print a line per file (-v); -vv adds walker decisions]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::paths -- Files and directories to hash (- for standard input) \[default\: .\]; with --merge, the manifests to merge:_files' \
&& ret=0
;;
(stats)
_arguments "${_arguments_options[@]}" : \
'--max-rate=[Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync'\''s --bwlimit]:RATE:_default' \
'--timeout=[Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on]:DURATION:_default' \
'--retries=[Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one]:N:_default' \
'--retry-delay=[First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter]:DURATION:_default' \
'--progress=[Show a progress bar on stderr\: auto (only when stderr is a terminal), always, never]:WHEN:((auto\:"Only when stderr is a terminal (never in pipes, logs or CI)"
always\:"Always, even when stderr is not a terminal"
never\:"Never"))' \
'*--include=[Only process files that GLOB matches, with gitignore'\''s rules\: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)]:GLOB:_default' \
'*--exclude=[Skip files, and do not enter directories, that GLOB matches (gitignore'\''s rules, as --include; repeatable; wins over --include)]:GLOB:_default' \
'*--include-from=[Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)]:FILE:_files' \
'*--exclude-from=[Read --exclude patterns from FILE, one a line, as --include-from (repeatable)]:FILE:_files' \
'--min-size=[Only process files of at least SIZE bytes (K, M, G\: KiB, MiB, GiB; KB, MB, GB\: powers of 1000)]:SIZE:_default' \
'--max-size=[Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)]:SIZE:_default' \
'--changed-within=[Only process files modified at or after a time\: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12\:00\:00, 2026-11-30 12\:00\:00)]:DURATION|DATE:_default' \
'--changed-before=[Only process files modified before a time (as --changed-within)\: --changed-before 1d leaves alone the logs still being written]:DURATION|DATE:_default' \
'--max-depth=[Descend at most N directory levels below IN (1\: only the files directly in IN)]:N:_default' \
'--files-from=[Read the files to process from FILE (- for stdin), one path relative to IN per line]:FILE:_files' \
'--shard=[Process only shard K of N (K from 0)\: the files whose output path (for hash and stats\: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N]:K/N|auto:_default' \
'--shards=[With --shard auto\: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS]:N:_default' \
'-j+[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'--jobs=[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'-T+[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--threads=[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--json[One JSON object per line\: {"path"\:…,"lines"\:…,"bytes"\:…} per file, then the total]' \
'--fail-fast[Stop taking new files after the first failure (files in flight are abandoned cleanly)]' \
'-L[Follow symbolic links (by default they are skipped and reported)]' \
'--follow[Follow symbolic links (by default they are skipped and reported)]' \
'-0[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'--null[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'(-v --verbose)-q[Print nothing but errors (no skip notes, no summary)]' \
'(-v --verbose)--quiet[Print nothing but errors (no skip notes, no summary)]' \
'*-v[Print a line per file (-v); -vv adds walker decisions]' \
'*--verbose[Print a line per file (-v); -vv adds walker decisions]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::paths -- Files and directories to count (- for standard input) \[default\: .\]:_files' \
&& ret=0
;;
(cat)
_arguments "${_arguments_options[@]}" : \
'*--include=[Only process files that GLOB matches, with gitignore'\''s rules\: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)]:GLOB:_default' \
'*--exclude=[Skip files, and do not enter directories, that GLOB matches (gitignore'\''s rules, as --include; repeatable; wins over --include)]:GLOB:_default' \
'*--include-from=[Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)]:FILE:_files' \
'*--exclude-from=[Read --exclude patterns from FILE, one a line, as --include-from (repeatable)]:FILE:_files' \
'--min-size=[Only process files of at least SIZE bytes (K, M, G\: KiB, MiB, GiB; KB, MB, GB\: powers of 1000)]:SIZE:_default' \
'--max-size=[Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)]:SIZE:_default' \
'--changed-within=[Only process files modified at or after a time\: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12\:00\:00, 2026-11-30 12\:00\:00)]:DURATION|DATE:_default' \
'--changed-before=[Only process files modified before a time (as --changed-within)\: --changed-before 1d leaves alone the logs still being written]:DURATION|DATE:_default' \
'--max-depth=[Descend at most N directory levels below IN (1\: only the files directly in IN)]:N:_default' \
'--files-from=[Read the files to process from FILE (- for stdin), one path relative to IN per line]:FILE:_files' \
'--shard=[Process only shard K of N (K from 0)\: the files whose output path (for hash and stats\: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N]:K/N|auto:_default' \
'--shards=[With --shard auto\: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS]:N:_default' \
'--eol=[Line endings of the output\: keep them, or normalise to LF or CRLF]:MODE:((keep\:"Leave line endings as they are"
lf\:"Turn CRLF line endings into LF"
crlf\:"Turn LF line endings into CRLF"))' \
'--from=[Decode inputs\: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none writes bytes as they are; a format decodes every input as that format]:FORMAT:((auto\:"Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain"
none\:"Read bytes as they are"
gz\:"gzip (also\: gzip)"
zst\:"Zstandard (also\: zstd)"
xz\:"xz"
bz2\:"bzip2 (also\: bzip2)"
br\:"brotli (also\: brotli)"
lzma\:"LZMA_Alone (.lzma)"))' \
'-j+[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'--jobs=[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'-T+[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--threads=[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'*--grep=[Keep only lines matching RE (regex\:\:bytes syntax, Unicode off unless (?u); repeatable)]:RE:_default' \
'*--grep-v=[Drop lines matching RE (repeatable)]:RE:_default' \
'*--replace=[Replace every match of RE in each line by REPL (\$1, \${name} and \$\$ expand; repeatable)]:RE:_default:RE:_default' \
'*--redact=[Mask values of KIND in each line as \[KIND\] (repeatable)]:KIND:((ipv4\:"Dotted-quad IPv4 addresses (each octet at most 255)"
ipv6\:"IPv6 addresses (compressed forms, embedded IPv4, %zone)"
email\:"E-mail addresses"
uuid\:"UUIDs (8-4-4-4-12 hex digits)"
secret\:"Values of key=value or key\: value pairs whose key contains password, passwd, passphrase, pwd, token, secret (so aws_secret_access_key), api_key, api-key, apikey, private_key, private-key, privatekey or authorization, or ends in cookie or in the word pass (db_pass, not bypass)\: a quoted value to its closing quote, an authorization or cookie value to the end of the line, any other to the next blank , ; & quote or escaped quote (a Bearer, Basic or Token word goes with it); the password of scheme\://user\:PASSWORD@host; and anywhere, unless glued to a letter, digit, _ . or -\: AWS access key ids (AKIA or ASIA and 16 more), GitHub tokens (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ and 30 or more), GitLab (glpat- and 20 or more), Slack (xoxb- xoxp- xoxa- xoxr- xoxs- xapp- and 10 or more) and JWTs (eyJ....eyJ.... and a signature, maybe empty)"))' \
'--redact-key=[With --redact\: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run]:FILE:_files' \
'--max-line-bytes=[With line transforms\: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T\: KiB, MiB, GiB, TiB; KB, MB, GB, TB\: powers of 1000)]:SIZE:_default' \
'-L[Follow symbolic links (by default they are skipped and reported)]' \
'--follow[Follow symbolic links (by default they are skipped and reported)]' \
'-0[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'--null[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'*--trim[Remove spaces and tabs at the end of each line]' \
'*--drop-empty[Drop lines that are empty (after the transforms before this one)]' \
'(-v --verbose)-q[Print nothing but errors (no skip notes, no summary)]' \
'(-v --verbose)--quiet[Print nothing but errors (no skip notes, no summary)]' \
'*-v[Print a line per file (-v); -vv adds walker decisions]' \
'*--verbose[Print a line per file (-v); -vv adds walker decisions]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::paths -- Files and directories to write, decoded, in path order (- for standard input) \[default\: .\]:_files' \
&& ret=0
;;
(grep)
_arguments "${_arguments_options[@]}" : \
'*-e+[A pattern to search for (repeatable\: a line matching any of them matches)]:PATTERN:_default' \
'*--regexp=[A pattern to search for (repeatable\: a line matching any of them matches)]:PATTERN:_default' \
'*-f+[Read patterns from FILE, one a line (repeatable; an empty file matches nothing)]:FILE:_files' \
'*--file=[Read patterns from FILE, one a line (repeatable; an empty file matches nothing)]:FILE:_files' \
'-m+[Stop reading a file after NUM selected lines]:NUM:_default' \
'--max-count=[Stop reading a file after NUM selected lines]:NUM:_default' \
'-A+[Print NUM lines of context after each selected line]:NUM:_default' \
'--after-context=[Print NUM lines of context after each selected line]:NUM:_default' \
'-B+[Print NUM lines of context before each selected line]:NUM:_default' \
'--before-context=[Print NUM lines of context before each selected line]:NUM:_default' \
'-C+[Print NUM lines of context before and after each selected line (groups apart are separated by --)]:NUM:_default' \
'--context=[Print NUM lines of context before and after each selected line (groups apart are separated by --)]:NUM:_default' \
'--color=[Highlight matches, file names and line numbers\: auto (when stdout is a terminal and NO_COLOR is unset), always, never]:WHEN:((auto\:"When stdout is a terminal and NO_COLOR is unset or empty"
always\:"Always (even with NO_COLOR)"
never\:"Never"))' \
'--sort=[Print files in this order (the search still runs in parallel)\: path, or none (as they finish)]:BY:((none\:"As files finish"
path\:"By path, byte by byte"))' \
'--max-line-bytes=[Fail a file that has a line longer than SIZE (bytes, or with K, M, G, T\: KiB … TiB; KB … TB\: powers of 1000)]:SIZE:_default' \
'--from=[Decode inputs\: auto finds gzip, zstd, xz and bzip2 by their content, brotli and lzma by a .br or .lzma name; none searches bytes as they are; a format decodes every input as it]:FORMAT:((auto\:"Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain"
none\:"Read bytes as they are"
gz\:"gzip (also\: gzip)"
zst\:"Zstandard (also\: zstd)"
xz\:"xz"
bz2\:"bzip2 (also\: bzip2)"
br\:"brotli (also\: brotli)"
lzma\:"LZMA_Alone (.lzma)"))' \
'*--include=[Only process files that GLOB matches, with gitignore'\''s rules\: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)]:GLOB:_default' \
'*--exclude=[Skip files, and do not enter directories, that GLOB matches (gitignore'\''s rules, as --include; repeatable; wins over --include)]:GLOB:_default' \
'*--include-from=[Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)]:FILE:_files' \
'*--exclude-from=[Read --exclude patterns from FILE, one a line, as --include-from (repeatable)]:FILE:_files' \
'--min-size=[Only process files of at least SIZE bytes (K, M, G\: KiB, MiB, GiB; KB, MB, GB\: powers of 1000)]:SIZE:_default' \
'--max-size=[Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)]:SIZE:_default' \
'--changed-within=[Only process files modified at or after a time\: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12\:00\:00, 2026-11-30 12\:00\:00)]:DURATION|DATE:_default' \
'--changed-before=[Only process files modified before a time (as --changed-within)\: --changed-before 1d leaves alone the logs still being written]:DURATION|DATE:_default' \
'--max-depth=[Descend at most N directory levels below IN (1\: only the files directly in IN)]:N:_default' \
'--files-from=[Read the files to process from FILE (- for stdin), one path relative to IN per line]:FILE:_files' \
'--shard=[Process only shard K of N (K from 0)\: the files whose output path (for hash and stats\: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N]:K/N|auto:_default' \
'--shards=[With --shard auto\: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS]:N:_default' \
'-j+[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'--jobs=[Process at most N files at once \[default\: number of CPUs\]]:N:_default' \
'-T+[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--threads=[Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run \[default\: number of CPUs\]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each]:N:_default' \
'--max-rate=[Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync'\''s --bwlimit]:RATE:_default' \
'--timeout=[Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on]:DURATION:_default' \
'--retries=[Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one]:N:_default' \
'--retry-delay=[First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter]:DURATION:_default' \
'--progress=[Show a progress bar on stderr\: auto (only when stderr is a terminal), always, never]:WHEN:((auto\:"Only when stderr is a terminal (never in pipes, logs or CI)"
always\:"Always, even when stderr is not a terminal"
never\:"Never"))' \
'-F[The patterns are fixed strings, not regular expressions]' \
'--fixed-strings[The patterns are fixed strings, not regular expressions]' \
'-i[Match case-insensitively]' \
'--ignore-case[Match case-insensitively]' \
'-S[Match case-insensitively unless a pattern has an upper-case letter]' \
'--smart-case[Match case-insensitively unless a pattern has an upper-case letter]' \
'-w[Only match whole words (the match between non-word characters or line ends)]' \
'--word-regexp[Only match whole words (the match between non-word characters or line ends)]' \
'-x[Only match whole lines]' \
'--line-regexp[Only match whole lines]' \
'-v[Select the lines that do not match]' \
'--invert-match[Select the lines that do not match]' \
'-c[Print only a count of selected lines per file (PATH\:COUNT)]' \
'--count[Print only a count of selected lines per file (PATH\:COUNT)]' \
'(-c --count)-l[Print only the names of files with a selected line]' \
'(-c --count)--files-with-matches[Print only the names of files with a selected line]' \
'-o[Print only the matched parts of lines, each on a line of its own]' \
'--only-matching[Print only the matched parts of lines, each on a line of its own]' \
'-q[Print nothing; exit 0 at the first selected line (the search stops there)]' \
'--quiet[Print nothing; exit 0 at the first selected line (the search stops there)]' \
'-n[Print line numbers (the default when stdout is a terminal)]' \
'--line-number[Print line numbers (the default when stdout is a terminal)]' \
'-N[Do not print line numbers]' \
'--no-line-number[Do not print line numbers]' \
'-H[Print the file name with each line (the default when more than one file is searched)]' \
'--with-filename[Print the file name with each line (the default when more than one file is searched)]' \
'--no-filename[Never print file names]' \
'-a[Search binary files (decoded content with a NUL byte) as text]' \
'--text[Search binary files (decoded content with a NUL byte) as text]' \
'(-c --count -l --files-with-matches -L --files-without-match -q --quiet)--json[Print JSON lines as rg --json does\: begin, match, context, end per file, then summary]' \
'--fail-fast[Stop taking new files after the first failure (files in flight are abandoned cleanly)]' \
'--follow[Follow symbolic links (by default they are skipped and reported)]' \
'--files-null[The --files-from list is separated by NUL bytes, not newlines (as \`find -print0\` writes)]' \
'(-c --count -l --files-with-matches)-L[Print only the names of files without a selected line (-L)]' \
'(-c --count -l --files-with-matches)--files-without-match[Print only the names of files without a selected line (-L)]' \
'-0[Write a NUL byte after each file name instead of \: or a newline (-0)]' \
'--null[Write a NUL byte after each file name instead of \: or a newline (-0)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::pattern -- The regular expression (regex crate syntax on bytes); with -e or -f, a PATH instead:_default' \
'*::paths -- Files and directories to search (- for standard input) \[default\: .\]:_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_asyncfiles__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:asyncfiles-help-command-$line[1]:"
        case $line[1] in
            (convert)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hash)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stats)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(cat)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(grep)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_asyncfiles_commands] )) ||
_asyncfiles_commands() {
    local commands; commands=(
'convert:Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline' \
'hash:Print BLAKE3 hashes of files and trees in b3sum'\''s format, or check them (--check)' \
'stats:Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)' \
'cat:Write the decoded content of files and trees to stdout, in path order (zcat -r)' \
'grep:Search the decoded content of files and trees for lines matching a pattern (grep for compressed logs)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'asyncfiles commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__cat_commands] )) ||
_asyncfiles__subcmd__cat_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles cat commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__convert_commands] )) ||
_asyncfiles__subcmd__convert_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles convert commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__grep_commands] )) ||
_asyncfiles__subcmd__grep_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles grep commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__hash_commands] )) ||
_asyncfiles__subcmd__hash_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles hash commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help_commands] )) ||
_asyncfiles__subcmd__help_commands() {
    local commands; commands=(
'convert:Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline' \
'hash:Print BLAKE3 hashes of files and trees in b3sum'\''s format, or check them (--check)' \
'stats:Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)' \
'cat:Write the decoded content of files and trees to stdout, in path order (zcat -r)' \
'grep:Search the decoded content of files and trees for lines matching a pattern (grep for compressed logs)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'asyncfiles help commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help__subcmd__cat_commands] )) ||
_asyncfiles__subcmd__help__subcmd__cat_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles help cat commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help__subcmd__convert_commands] )) ||
_asyncfiles__subcmd__help__subcmd__convert_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles help convert commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help__subcmd__grep_commands] )) ||
_asyncfiles__subcmd__help__subcmd__grep_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles help grep commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help__subcmd__hash_commands] )) ||
_asyncfiles__subcmd__help__subcmd__hash_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles help hash commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help__subcmd__help_commands] )) ||
_asyncfiles__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles help help commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__help__subcmd__stats_commands] )) ||
_asyncfiles__subcmd__help__subcmd__stats_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles help stats commands' commands "$@"
}
(( $+functions[_asyncfiles__subcmd__stats_commands] )) ||
_asyncfiles__subcmd__stats_commands() {
    local commands; commands=()
    _describe -t commands 'asyncfiles stats commands' commands "$@"
}

if [ "$funcstack[1]" = "_asyncfiles" ]; then
    _asyncfiles "$@"
else
    compdef _asyncfiles asyncfiles
fi
