//! Progress of long commands (`apigw sim`, `store backup|restore`, `check`
//! and `apply` of large APIs) on a terminal: a spinner on stderr with the
//! step and the time taken. When stderr is not a terminal (piped, a log
//! file, CI) nothing is drawn at all, so output stays byte-for-byte clean.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner with a message; hidden unless stderr is a terminal. Cleared
/// when finished or dropped.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Starts a spinner saying `message`.
    pub fn spinner(message: impl Into<Cow<'static, str>>) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress { bar }
    }

    /// Replaces the message (the next step).
    pub fn step(&self, message: impl Into<Cow<'static, str>>) {
        self.bar.set_message(message);
    }

    /// Whether anything is drawn (stderr is a terminal).
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
