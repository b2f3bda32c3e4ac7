//! Where access-log lines go: a destination ARN maps to a configured sink
//! (a file, stdout) or, for a CloudWatch log group ARN with none
//! configured, to `{data-dir}/logs/{name}.log`. Lines are handed to one
//! writer thread through a bounded channel: a full channel drops the line
//! and counts it, so a slow disk never holds a request up.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// A configured destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    Stdout,
    File(PathBuf),
}

impl SinkTarget {
    /// `stdout`, or a file path.
    pub fn parse(text: &str) -> SinkTarget {
        match text {
            "stdout" | "-" => SinkTarget::Stdout,
            path => SinkTarget::File(PathBuf::from(path)),
        }
    }
}

/// What the binary configures.
#[derive(Debug, Clone, Default)]
pub struct SinkConfig {
    /// Destination ARN -> sink.
    pub routes: HashMap<String, SinkTarget>,
    /// Where log groups without a route go (`{dir}/{name}.log`); `None`:
    /// such lines are dropped.
    pub log_dir: Option<PathBuf>,
    /// Lines waiting for the writer, at most (default 8192).
    pub queue: usize,
}

/// The log group name of `arn:aws:logs:{region}:{account}:log-group:{name}`
/// (a trailing `:*` dropped), if the name is one CloudWatch takes.
pub fn log_group_name(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(7, ':');
    let fixed = [
        Some("arn"),
        None,
        Some("logs"),
        None,
        None,
        Some("log-group"),
    ];
    for want in fixed {
        let got = parts.next()?;
        if want.is_some_and(|w| w != got) {
            return None;
        }
    }
    let name = parts.next()?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    let valid = (1..=512).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#'))
        && !name.contains("..");
    valid.then_some(name)
}

/// The file a log group's lines go to under `dir` (`/` becomes `_`).
pub fn log_group_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.log", name.replace('/', "_")))
}

/// One line for the writer.
struct Line {
    target: SinkTarget,
    text: String,
}

/// The node's access-log sinks: routing and the queue to the writer.
pub struct AccessLogs {
    routes: HashMap<String, SinkTarget>,
    log_dir: Option<PathBuf>,
    queue: SyncSender<Line>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    queued: AtomicU64,
    dropped: AtomicU64,
    unroutable: AtomicU64,
    write_errors: AtomicU64,
}

impl AccessLogs {
    /// The sinks, with their writer thread started.
    pub fn start(config: SinkConfig) -> std::io::Result<AccessLogs> {
        let (queue, lines) = sync_channel(if config.queue == 0 {
            8192
        } else {
            config.queue
        });
        let counts = Arc::new(Counts::default());
        let writer_counts = counts.clone();
        std::thread::Builder::new()
            .name("apigw-access-log".into())
            .spawn(move || write_lines(lines, &writer_counts))?;
        Ok(AccessLogs {
            routes: config.routes,
            log_dir: config.log_dir,
            queue,
            counts,
        })
    }

    /// Where a destination ARN's lines go, if anywhere.
    pub fn target(&self, arn: &str) -> Option<SinkTarget> {
        if let Some(target) = self.routes.get(arn) {
            return Some(target.clone());
        }
        let dir = self.log_dir.as_ref()?;
        Some(SinkTarget::File(log_group_file(dir, log_group_name(arn)?)))
    }

    /// Queues a line for a destination; never waits.
    pub fn send(&self, arn: &str, text: String) {
        let Some(target) = self.target(arn) else {
            self.counts.unroutable.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match self.queue.try_send(Line { target, text }) {
            Ok(()) => self.counts.queued.fetch_add(1, Ordering::Relaxed),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    /// The sinks' counters, Prometheus text.
    pub fn prometheus(&self) -> String {
        let c = &self.counts;
        let mut out = String::new();
        for (name, help, value) in [
            (
                "apigw_access_log_lines_total",
                "Access-log lines queued for a sink.",
                &c.queued,
            ),
            (
                "apigw_access_log_dropped_total",
                "Access-log lines dropped because the writer queue was full.",
                &c.dropped,
            ),
            (
                "apigw_access_log_unroutable_total",
                "Access-log lines whose destination ARN maps to no sink.",
                &c.unroutable,
            ),
            (
                "apigw_access_log_write_errors_total",
                "Access-log lines a sink failed to write.",
                &c.write_errors,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// Open files, at most this many (the rest are closed and reopened).
const MAX_OPEN: usize = 256;

/// The writer thread: writes lines as they come, flushes when idle.
fn write_lines(lines: Receiver<Line>, counts: &Counts) {
    let mut files: HashMap<PathBuf, BufWriter<File>> = HashMap::new();
    loop {
        match lines.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => write_one(&mut files, line, counts),
            Err(RecvTimeoutError::Timeout) => flush_all(&mut files, counts),
            Err(RecvTimeoutError::Disconnected) => {
                flush_all(&mut files, counts);
                return;
            }
        }
    }
}

fn write_one(files: &mut HashMap<PathBuf, BufWriter<File>>, line: Line, counts: &Counts) {
    let written = match line.target {
        SinkTarget::Stdout => std::io::stdout().lock().write_all(line.text.as_bytes()),
        SinkTarget::File(path) => file_for(files, path, counts)
            .map_or(Err(std::io::ErrorKind::Other.into()), |f| {
                f.write_all(line.text.as_bytes())
            }),
    };
    if written.is_err() {
        counts.write_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// The open file for a path, opened (and its folder made) when new.
fn file_for<'f>(
    files: &'f mut HashMap<PathBuf, BufWriter<File>>,
    path: PathBuf,
    counts: &Counts,
) -> Option<&'f mut BufWriter<File>> {
    if !files.contains_key(&path) {
        if files.len() >= MAX_OPEN {
            flush_all(files, counts);
            files.clear();
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = OpenOptions::new().create(true).append(true).open(&path);
        match file {
            Ok(f) => {
                files.insert(path.clone(), BufWriter::new(f));
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "access log sink cannot be opened");
                return None;
            }
        }
    }
    files.get_mut(&path)
}

fn flush_all(files: &mut HashMap<PathBuf, BufWriter<File>>, counts: &Counts) {
    for file in files.values_mut() {
        if file.flush().is_err() {
            counts.write_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = std::io::stdout().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_group_names() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigw/pets";
        assert_eq!(log_group_name(arn), Some("/aws/apigw/pets"));
        assert_eq!(log_group_name(&format!("{arn}:*")), Some("/aws/apigw/pets"));
        assert_eq!(log_group_name("arn:aws:logs:r:1:log-group:../x"), None);
        assert_eq!(log_group_name("arn:aws:logs:r:1:log-group:a\\b"), None);
        assert_eq!(
            log_group_name("arn:aws:firehose:r:1:deliverystream/x"),
            None
        );
        assert_eq!(
            log_group_file(Path::new("/d"), "/aws/apigw/pets"),
            PathBuf::from("/d/_aws_apigw_pets.log")
        );
    }
}
