//! Log output: JSON (or text) lines on stdout through `tracing`.
//!
//! Data-plane worker threads buffer their lines and write them in batches
//! (when the buffer passes 64 KiB, and every `flush` interval), like nginx's
//! `access_log ... buffer= flush=`: one write per batch instead of one per
//! request. Other threads write each line at once.

use std::cell::RefCell;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use tracing_subscriber::fmt::MakeWriter;

const BATCH_BYTES: usize = 64 * 1024;

thread_local! {
    static BUFFER: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Installs the global subscriber.
pub fn init(format: &str, filter: &str) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .with_context(|| format!("bad log filter `{filter}`"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Stdout);
    match format {
        "json" => builder.event_format(crate::json_log::JsonLine).init(),
        "text" => builder.with_ansi(false).init(),
        other => anyhow::bail!("log format `{other}` is not json or text"),
    }
    Ok(())
}

/// Makes the calling thread buffer its log lines; flush them with [`flush`].
pub fn buffer_this_thread() {
    BUFFER.with(|b| *b.borrow_mut() = Some(Vec::with_capacity(BATCH_BYTES)));
}

/// Writes out the calling thread's buffered lines.
pub fn flush() {
    BUFFER.with(|b| {
        if let Some(buf) = b.borrow_mut().as_mut() {
            write_out(buf);
        }
    });
}

/// Flushes this thread's buffer every `every` until the task is dropped.
pub async fn flush_every(every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        flush();
    }
}

fn write_out(buf: &mut Vec<u8>) {
    if !buf.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(buf);
        let _ = out.flush();
        buf.clear();
    }
}

/// The writer handed to `tracing`: the thread's buffer if it has one, else stdout.
struct Stdout;

struct LineWriter;

impl<'a> MakeWriter<'a> for Stdout {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> LineWriter {
        LineWriter
    }
}

impl Write for LineWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let buffered = BUFFER.with(|b| match b.borrow_mut().as_mut() {
            Some(buf) => {
                buf.extend_from_slice(data);
                if buf.len() >= BATCH_BYTES {
                    write_out(buf);
                }
                true
            }
            None => false,
        });
        if !buffered {
            std::io::stdout().lock().write_all(data)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
