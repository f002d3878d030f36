//! The progress bar of a download to a file: bytes, speed and ETA on
//! stderr, only when stderr is a terminal (never with -s).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing when none is shown.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar for a body of `length` bytes (a spinner when unknown), if `wanted` and stderr is a terminal.
    pub fn start(wanted: bool, length: Option<u64>) -> Bar {
        if !wanted || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = match length {
            Some(length) => {
                ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template(
                            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    )
            }
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        Bar(Some(bar))
    }

    /// `bytes` have arrived so far.
    pub fn set(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes);
        }
    }

    /// The transfer is over.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
        }
    }
}
