//! Progress bars on standard error (only when it is a terminal): the
//! library reports through `cliptheory::progress::Progress` and epoch
//! observers; this draws them.

use std::io::IsTerminal;

use cliptheory::progress::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// A bar for a phase of known size; nothing when stderr is not a terminal
/// or `shown` is false.
pub struct Bar {
    bar: Option<ProgressBar>,
    template: &'static str,
}

impl Bar {
    /// A bar with this `indicatif` template (`{msg}`, `{bar}`, `{pos}`, …).
    pub fn new(shown: bool, template: &'static str) -> Self {
        Self {
            bar: (shown && std::io::stderr().is_terminal()).then(ProgressBar::hidden),
            template,
        }
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(self.template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_length(total);
            bar.set_position(0);
            bar.set_message(label.to_string());
        }
    }

    fn advance(&self, units: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(units);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
