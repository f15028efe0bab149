
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'asyncfiles' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'asyncfiles'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'asyncfiles' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline')
            [CompletionResult]::new('hash', 'hash', [CompletionResultType]::ParameterValue, 'Print BLAKE3 hashes of files and trees in b3sum''s format, or check them (--check)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)')
            [CompletionResult]::new('cat', 'cat', [CompletionResultType]::ParameterValue, 'Write the decoded content of files and trees to stdout, in path order (zcat -r)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncfiles;convert' {
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)')
            [CompletionResult]::new('--include-from', '--include-from', [CompletionResultType]::ParameterName, 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)')
            [CompletionResult]::new('--exclude-from', '--exclude-from', [CompletionResultType]::ParameterName, 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)')
            [CompletionResult]::new('--changed-within', '--changed-within', [CompletionResultType]::ParameterName, 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)')
            [CompletionResult]::new('--changed-before', '--changed-before', [CompletionResultType]::ParameterName, 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written')
            [CompletionResult]::new('--max-depth', '--max-depth', [CompletionResultType]::ParameterName, 'Descend at most N directory levels below IN (1: only the files directly in IN)')
            [CompletionResult]::new('--files-from', '--files-from', [CompletionResultType]::ParameterName, 'Read the files to process from FILE (- for stdin), one path relative to IN per line')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N')
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS')
            [CompletionResult]::new('--eol', '--eol', [CompletionResultType]::ParameterName, 'Line endings of the output: keep them, or normalise to LF or CRLF')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none reads bytes as they are; a format decodes every input as that format')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Encode outputs: keep each file''s own format (and name), none for plain text, or a format; a decoded file loses its compression extension, an encoded one gains its own')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Compression level on the format''s own scale: gz 1-9 (default 6), zst 1-19 (3), xz 0-9 (6), bz2 1-9 (9), br 0-11 (11), lzma 0-9 (6). -1 … -19 say the same, as for gzip and zstd (-0 is --null: write --level 0); the last level given wins')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Write a b3sum-format manifest of the outputs to FILE (paths relative to OUT, sorted), hashed as they are written; verify it with `cd OUT && asyncfiles hash --check FILE`')
            [CompletionResult]::new('--max-rate', '--max-rate', [CompletionResultType]::ParameterName, 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync''s --bwlimit')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Keep only lines matching RE (regex::bytes syntax, Unicode off unless (?u); repeatable)')
            [CompletionResult]::new('--grep-v', '--grep-v', [CompletionResultType]::ParameterName, 'Drop lines matching RE (repeatable)')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Replace every match of RE in each line by REPL ($1, ${name} and $$ expand; repeatable)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask values of KIND in each line as [KIND] (repeatable)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'With --redact: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run')
            [CompletionResult]::new('--max-line-bytes', '--max-line-bytes', [CompletionResultType]::ParameterName, 'With line transforms: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB, MiB, GiB, TiB; KB, MB, GB, TB: powers of 1000)')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write each output beside its input (a.log -> a.log.zst with --to zst) and remove the input once the output is complete and synced to disk; no OUT')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'With --in-place: keep the inputs')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'With --in-place: keep the inputs')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('--fsync', '--fsync', [CompletionResultType]::ParameterName, 'Sync each output file and its directory to disk before moving on (slower; for durability)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does')
            [CompletionResult]::new('--archive', '--archive', [CompletionResultType]::ParameterName, 'Keep owner and group (as root; otherwise the group, if you are a member of it), extended attributes and ACLs as well as mode and times, for files and directories, as cp -a does')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write nothing, create no directory')
            [CompletionResult]::new('--incremental', '--incremental', [CompletionResultType]::ParameterName, 'Skip a file whose output exists with the input''s modification time (a finished output has it), so that a rerun after an interruption does only what is left')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Convert every file, even with --incremental; with --in-place, also replace an output that exists already (a.log.zst beside a.log)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write one JSON object per file to stdout ({"path","output","status","bytes_in",…}) and a final {"type":"summary",…}; human messages stay on stderr')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop taking new files after the first failure (files in flight are abandoned cleanly)')
            [CompletionResult]::new('--trim', '--trim', [CompletionResultType]::ParameterName, 'Remove spaces and tabs at the end of each line')
            [CompletionResult]::new('--drop-empty', '--drop-empty', [CompletionResultType]::ParameterName, 'Drop lines that are empty (after the transforms before this one)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'asyncfiles;hash' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files under the PATHs given that MANIFEST does not list are reported as NEW')
            [CompletionResult]::new('--max-rate', '--max-rate', [CompletionResultType]::ParameterName, 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync''s --bwlimit')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)')
            [CompletionResult]::new('--include-from', '--include-from', [CompletionResultType]::ParameterName, 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)')
            [CompletionResult]::new('--exclude-from', '--exclude-from', [CompletionResultType]::ParameterName, 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)')
            [CompletionResult]::new('--changed-within', '--changed-within', [CompletionResultType]::ParameterName, 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)')
            [CompletionResult]::new('--changed-before', '--changed-before', [CompletionResultType]::ParameterName, 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written')
            [CompletionResult]::new('--max-depth', '--max-depth', [CompletionResultType]::ParameterName, 'Descend at most N directory levels below IN (1: only the files directly in IN)')
            [CompletionResult]::new('--files-from', '--files-from', [CompletionResultType]::ParameterName, 'Read the files to process from FILE (- for stdin), one path relative to IN per line')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N')
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--merge', '--merge', [CompletionResultType]::ParameterName, 'Merge the manifests given as PATHs (b3sum format, each sorted by path, as hash and convert --manifest write them; - for standard input) into one on stdout, sorted by path: the manifests of the shards of a run merge into the one an unsharded run writes')
            [CompletionResult]::new('--ignore-missing', '--ignore-missing', [CompletionResultType]::ParameterName, 'With --check: a listed file that does not exist is neither reported nor a failure (but a check that verifies no file at all fails: run in the wrong directory, it would pass)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'With --check: print nothing, let the exit code tell (only an error that stops the check, exit 2, such as a malformed manifest, is still said on stderr)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'With --check: a malformed manifest line fails the check (exit 2, before anything is hashed). Always so, as with b3sum; accepted for sha256sum''s command lines')
            [CompletionResult]::new('--decompressed', '--decompressed', [CompletionResultType]::ParameterName, 'Hash the decoded content of compressed files (gzip, zstd, xz, bzip2 by content, brotli and lzma by name), so that a.log and a.log.gz of the same text hash the same')
            [CompletionResult]::new('--unsorted', '--unsorted', [CompletionResultType]::ParameterName, 'Print each line as its file is done instead of sorted by path (for trees too large to hold their list of names in memory)')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop taking new files after the first failure (files in flight are abandoned cleanly)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per file on stdout ({"path","status","blake3","bytes","ms"}, or "reason"/"error"), then {"type":"summary",…}, instead of b3sum lines')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'asyncfiles;stats' {
            [CompletionResult]::new('--max-rate', '--max-rate', [CompletionResultType]::ParameterName, 'Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB, MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync''s --bwlimit')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the run goes on')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a file up to N times after a transient I/O error (interrupted, would block, timed out, stale NFS handle); never after a permanent one')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with each retry, with some jitter')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show a progress bar on stderr: auto (only when stderr is a terminal), always, never')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)')
            [CompletionResult]::new('--include-from', '--include-from', [CompletionResultType]::ParameterName, 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)')
            [CompletionResult]::new('--exclude-from', '--exclude-from', [CompletionResultType]::ParameterName, 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)')
            [CompletionResult]::new('--changed-within', '--changed-within', [CompletionResultType]::ParameterName, 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)')
            [CompletionResult]::new('--changed-before', '--changed-before', [CompletionResultType]::ParameterName, 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written')
            [CompletionResult]::new('--max-depth', '--max-depth', [CompletionResultType]::ParameterName, 'Descend at most N directory levels below IN (1: only the files directly in IN)')
            [CompletionResult]::new('--files-from', '--files-from', [CompletionResultType]::ParameterName, 'Read the files to process from FILE (- for stdin), one path relative to IN per line')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N')
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per line: {"path":…,"lines":…,"bytes":…} per file, then the total')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop taking new files after the first failure (files in flight are abandoned cleanly)')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'asyncfiles;cat' {
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only process files that GLOB matches, with gitignore''s rules: no / matches the name at any depth, a leading / anchors to IN, a trailing / matches directories (and takes all below), ** spans directories, ! takes back (repeatable; the last match wins)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip files, and do not enter directories, that GLOB matches (gitignore''s rules, as --include; repeatable; wins over --include)')
            [CompletionResult]::new('--include-from', '--include-from', [CompletionResultType]::ParameterName, 'Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in .gitignore); before the --include patterns (repeatable)')
            [CompletionResult]::new('--exclude-from', '--exclude-from', [CompletionResultType]::ParameterName, 'Read --exclude patterns from FILE, one a line, as --include-from (repeatable)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)')
            [CompletionResult]::new('--changed-within', '--changed-within', [CompletionResultType]::ParameterName, 'Only process files modified at or after a time: a duration back from now (1d, 12h, 30m, 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)')
            [CompletionResult]::new('--changed-before', '--changed-before', [CompletionResultType]::ParameterName, 'Only process files modified before a time (as --changed-within): --changed-before 1d leaves alone the logs still being written')
            [CompletionResult]::new('--max-depth', '--max-depth', [CompletionResultType]::ParameterName, 'Descend at most N directory levels below IN (1: only the files directly in IN)')
            [CompletionResult]::new('--files-from', '--files-from', [CompletionResultType]::ParameterName, 'Read the files to process from FILE (- for stdin), one path relative to IN per line')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Process only shard K of N (K from 0): the files whose output path (for hash and stats: the path as printed) hashes to K, so that N runs, on any machines, split the work exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job or GNU parallel. In --manifest, %K and %N are replaced by K and N')
            [CompletionResult]::new('--shards', '--shards', [CompletionResultType]::ParameterName, 'With --shard auto: the number of shards, where the engine exports only the index (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS')
            [CompletionResult]::new('--eol', '--eol', [CompletionResultType]::ParameterName, 'Line endings of the output: keep them, or normalise to LF or CRLF')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name, and brotli and lzma by a .br or .lzma name; none writes bytes as they are; a format decodes every input as that format')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Process at most N files at once [default: number of CPUs]')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing) across the whole run [default: number of CPUs]. A large file is cut into blocks that these threads work on side by side; brotli and lzma files stay on one thread each')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Keep only lines matching RE (regex::bytes syntax, Unicode off unless (?u); repeatable)')
            [CompletionResult]::new('--grep-v', '--grep-v', [CompletionResultType]::ParameterName, 'Drop lines matching RE (repeatable)')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Replace every match of RE in each line by REPL ($1, ${name} and $$ expand; repeatable)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask values of KIND in each line as [KIND] (repeatable)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'With --redact: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run')
            [CompletionResult]::new('--max-line-bytes', '--max-line-bytes', [CompletionResultType]::ParameterName, 'With line transforms: fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB, MiB, GiB, TiB; KB, MB, GB, TB: powers of 1000)')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow symbolic links (by default they are skipped and reported)')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)')
            [CompletionResult]::new('--trim', '--trim', [CompletionResultType]::ParameterName, 'Remove spaces and tabs at the end of each line')
            [CompletionResult]::new('--drop-empty', '--drop-empty', [CompletionResultType]::ParameterName, 'Drop lines that are empty (after the transforms before this one)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no skip notes, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print a line per file (-v); -vv adds walker decisions')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'asyncfiles;help' {
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline')
            [CompletionResult]::new('hash', 'hash', [CompletionResultType]::ParameterValue, 'Print BLAKE3 hashes of files and trees in b3sum''s format, or check them (--check)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)')
            [CompletionResult]::new('cat', 'cat', [CompletionResultType]::ParameterValue, 'Write the decoded content of files and trees to stdout, in path order (zcat -r)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'asyncfiles;help;convert' {
            break
        }
        'asyncfiles;help;hash' {
            break
        }
        'asyncfiles;help;stats' {
            break
        }
        'asyncfiles;help;cat' {
            break
        }
        'asyncfiles;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
