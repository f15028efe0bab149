//! The checked configuration of `asyncfiles cat`: its walk (sorted), decoding and line stages.

// The parent's checks and helpers (roots, codec, line transforms), shared by every command.
use super::*;

/// The checked configuration of a `cat` run.
#[derive(Debug)]
pub struct CatConfig {
    /// What the walker goes through, in command-line order; every tree walked sorted.
    pub roots: Vec<crate::walk::Root>,
    /// The PATHs read as streams, as they come: `-` and named pipes.
    pub streams: Vec<PathBuf>,
    /// `--from`: how inputs are recognised.
    pub codec: CodecConfig,
    /// Line-ending normalisation.
    pub eol: Eol,
    /// Line transforms, in command-line order (`None`: there are none).
    pub lines: Option<LineTransforms>,
    /// Files in flight at once.
    pub jobs: usize,
    /// `--threads`: the CPU budget (see [`crate::cpu`]).
    pub threads: usize,
}

impl CatConfig {
    /// `cat` options, checked: PATHs and walk options as `stats` takes them, trees walked in
    /// path order.
    pub fn from_args(args: crate::cli::CatArgs) -> Result<Self> {
        let codec = codec_config(args.from, ToArg::Keep, None)?;
        let lines = LineTransforms::from_args(&args.lines)?;
        let walked = DigestConfig::new(
            DigestKind::Stats { json: false },
            args.paths,
            args.walk,
            &args.pool,
            true,
        )?;
        let mut roots = walked.roots;
        for root in &mut roots {
            if let Root::Tree(walk) = root {
                walk.sorted = true;
                walk.codec = codec;
            }
        }
        Ok(Self {
            roots,
            streams: walked.streams,
            codec,
            eol: match args.eol {
                EolArg::Keep => Eol::Keep,
                EolArg::Lf => Eol::Lf,
                EolArg::Crlf => Eol::Crlf,
            },
            lines,
            jobs: walked.jobs,
            threads: walked.threads,
        })
    }

    /// The pattern tally of the run's walks (they share one), if it walks a directory.
    pub fn tally(&self) -> Option<std::sync::Arc<crate::walk::PatternTally>> {
        self.roots.iter().find_map(|root| match root {
            Root::Tree(walk) => Some(walk.filter.tally().clone()),
            _ => None,
        })
    }
}
