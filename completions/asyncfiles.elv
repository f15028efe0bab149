
use builtin;
use str;

set edit:completion:arg-completer[asyncfiles] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'asyncfiles'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'asyncfiles'= {
            cand -q 'Print nothing but errors (no skip notes, no summary)'
            cand --quiet 'Print nothing but errors (no skip notes, no summary)'
            cand -v 'Print a line per file (-v); -vv adds walker decisions'
            cand --verbose 'Print a line per file (-v); -vv adds walker decisions'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand convert 'Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline'
            cand hash 'Print BLAKE3 hashes of files and trees in b3sum''s format, or check them (--check)'
            cand stats 'Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncfiles;convert'= {
            cand --include 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)'
            cand --exclude 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)'
            cand --include-from 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)'
            cand --exclude-from 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)'
            cand --min-size 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)'
            cand --max-size 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)'
            cand --changed-within 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)'
            cand --changed-before 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written'
            cand --max-depth 'Descend at most N directory levels below IN (1: only the files directly in IN)'
            cand --files-from 'Read the files to process from FILE (- for stdin), one path relative to IN per line'
            cand --shard 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N'
            cand --shards 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS'
            cand --eol 'Line endings of the output: keep them, or normalise to LF or CRLF'
            cand --from 'Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none reads bytes as they are; a format decodes every input as that format'
            cand --to 'Encode outputs: keep each file''s own format (and name), none for plain text, or a format; a decoded file loses its compression extension, an encoded one gains its own'
            cand --level 'Compression level on the format''s own scale: gz 1-9 (default 6), zst 1-19 (3), xz 0-9 (6), bz2 1-9 (9), br 0-11 (11), lzma 0-9 (6). -1 … -19 say the same, as for gzip and zstd (-0 is --null: write --level 0); the last level given wins'
            cand -j 'Process at most N files at once [default: number of CPUs]'
            cand --jobs 'Process at most N files at once [default: number of CPUs]'
            cand -T 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each'
            cand --threads 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each'
            cand --manifest 'Write a b3sum-format manifest of the outputs to FILE (paths relative to OUT, sorted), hashed as they are written; verify it with `cd OUT && asyncfiles hash --check FILE`'
            cand --max-rate 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync''s --bwlimit'
            cand --timeout 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on'
            cand --retries 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one'
            cand --retry-delay 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter'
            cand --progress 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never'
            cand --grep 'Keep only lines matching RE (regex::bytes syntax, Unicode off unless (?u); repeatable)'
            cand --grep-v 'Drop lines matching RE (repeatable)'
            cand --replace 'Replace every match of RE in each line by REPL ($1, ${name} and $$ expand; repeatable)'
            cand --redact 'Mask values of KIND in each line as [KIND] (repeatable)'
            cand --redact-key 'With --redact: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run'
            cand --max-line-bytes 'With line transforms: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB, MiB, GiB, TiB; KB, MB, GB, TB: powers of 1000)'
            cand --in-place 'Write each output beside its input (a.log -> a.log.zst with --to zst) and remove the input once the output is complete and synced to disk; no OUT'
            cand -k 'With --in-place: keep the inputs'
            cand --keep 'With --in-place: keep the inputs'
            cand -L 'Follow symbolic links (by default they are skipped and reported)'
            cand --follow 'Follow symbolic links (by default they are skipped and reported)'
            cand -0 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
            cand --null 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
            cand --fsync 'Sync each output file and its directory to disk before moving on (slower; for durability)'
            cand -a 'Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does'
            cand --archive 'Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does'
            cand -n 'Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory'
            cand --dry-run 'Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory'
            cand --incremental 'Skip a file whose output exists with the input''s modification time (a finished output has it), so that a rerun after an interruption does only what is left'
            cand --force 'Convert every file, even with --incremental; with --in-place, also replace an output that exists already (a.log.zst beside a.log)'
            cand --json 'Write one JSON object per file to stdout ({"path","output","status","bytes_in",…}) and a final {"type":"summary",…}; human messages stay on stderr'
            cand --fail-fast 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
            cand --trim 'Remove spaces and tabs at the end of each line'
            cand --drop-empty 'Drop lines that are empty (after the transforms before this one)'
            cand -q 'Print nothing but errors (no skip notes, no summary)'
            cand --quiet 'Print nothing but errors (no skip notes, no summary)'
            cand -v 'Print a line per file (-v); -vv adds walker decisions'
            cand --verbose 'Print a line per file (-v); -vv adds walker decisions'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'asyncfiles;hash'= {
            cand -c 'Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW'
            cand --check 'Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW'
            cand --max-rate 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync''s --bwlimit'
            cand --timeout 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on'
            cand --retries 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one'
            cand --retry-delay 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter'
            cand --progress 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never'
            cand --include 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)'
            cand --exclude 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)'
            cand --include-from 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)'
            cand --exclude-from 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)'
            cand --min-size 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)'
            cand --max-size 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)'
            cand --changed-within 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)'
            cand --changed-before 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written'
            cand --max-depth 'Descend at most N directory levels below IN (1: only the files directly in IN)'
            cand --files-from 'Read the files to process from FILE (- for stdin), one path relative to IN per line'
            cand --shard 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N'
            cand --shards 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS'
            cand -j 'Process at most N files at once [default: number of CPUs]'
            cand --jobs 'Process at most N files at once [default: number of CPUs]'
            cand -T 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each'
            cand --threads 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each'
            cand --merge 'Merge the manifests given as PATHs (b3sum format, each sorted by path, as hash and convert --manifest write them; - for standard input) into one on stdout, sorted by path: the manifests of the shards of a run merge into the one an unsharded run writes'
            cand --ignore-missing 'With --check: a listed file that does not exist is neither reported nor a failure (but a check that verifies no file at all fails: run in the wrong directory, it would pass)'
            cand --status 'With --check: print nothing, let the exit code tell (only an error that stops the check, exit 2, such as a malformed manifest, is still said on stderr)'
            cand --strict 'With --check: a malformed manifest line fails the check (exit 2, before anything is hashed). Always so, as with b3sum; accepted for sha256sum''s command lines'
            cand --decompressed 'Hash the decoded content of compressed files (gzip, zstd, xz, bzip2 by content, brotli and lzma by name), so that a.log and a.log.gz of the same text hash the same'
            cand --unsorted 'Print each line as its file is done instead of sorted by path (for trees too large to hold their list of names in memory)'
            cand --fail-fast 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
            cand --json 'One JSON object per file on stdout ({"path","status","blake3","bytes","ms"}, or "reason"/"error"), then {"type":"summary",…}, instead of b3sum lines'
            cand -L 'Follow symbolic links (by default they are skipped and reported)'
            cand --follow 'Follow symbolic links (by default they are skipped and reported)'
            cand -0 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
            cand --null 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
            cand -q 'Print nothing but errors (no skip notes, no summary)'
            cand --quiet 'Print nothing but errors (no skip notes, no summary)'
            cand -v 'Print a line per file (-v); -vv adds walker decisions'
            cand --verbose 'Print a line per file (-v); -vv adds walker decisions'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'asyncfiles;stats'= {
            cand --max-rate 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync''s --bwlimit'
            cand --timeout 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on'
            cand --retries 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one'
            cand --retry-delay 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter'
            cand --progress 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never'
            cand --include 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)'
            cand --exclude 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)'
            cand --include-from 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)'
            cand --exclude-from 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)'
            cand --min-size 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)'
            cand --max-size 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)'
            cand --changed-within 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)'
            cand --changed-before 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written'
            cand --max-depth 'Descend at most N directory levels below IN (1: only the files directly in IN)'
            cand --files-from 'Read the files to process from FILE (- for stdin), one path relative to IN per line'
            cand --shard 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N'
            cand --shards 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS'
            cand -j 'Process at most N files at once [default: number of CPUs]'
            cand --jobs 'Process at most N files at once [default: number of CPUs]'
            cand -T 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each'
            cand --threads 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each'
            cand --json 'One JSON object per line: {"path":…,"lines":…,"bytes":…} per file, then the total'
            cand --fail-fast 'Stop taking new files after the first failure (files in flight are abandoned cleanly)'
            cand -L 'Follow symbolic links (by default they are skipped and reported)'
            cand --follow 'Follow symbolic links (by default they are skipped and reported)'
            cand -0 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
            cand --null 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)'
            cand -q 'Print nothing but errors (no skip notes, no summary)'
            cand --quiet 'Print nothing but errors (no skip notes, no summary)'
            cand -v 'Print a line per file (-v); -vv adds walker decisions'
            cand --verbose 'Print a line per file (-v); -vv adds walker decisions'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'asyncfiles;help'= {
            cand convert 'Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline'
            cand hash 'Print BLAKE3 hashes of files and trees in b3sum''s format, or check them (--check)'
            cand stats 'Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'asyncfiles;help;convert'= {
        }
        &'asyncfiles;help;hash'= {
        }
        &'asyncfiles;help;stats'= {
        }
        &'asyncfiles;help;help'= {
        }
    ]
    $completions[$command]
}
