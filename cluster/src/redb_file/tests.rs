use super::*;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

const T: TableDefinition<&str, &[u8]> = TableDefinition::new("t");

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "apigw-redb-file-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file with a few hundred records spread over several pages.
fn good_file(path: &Path) {
    let (db, opened) = open(path).expect("create");
    assert_eq!(opened, Opened::Created);
    let txn = db.begin_write().expect("write");
    {
        let mut t = txn.open_table(T).expect("table");
        for i in 0..400 {
            let value = format!("{{\"n\": {i}, \"pad\": \"{}\"}}", "x".repeat(200));
            t.insert(format!("key-{i:04}").as_str(), value.as_bytes())
                .expect("insert");
        }
    }
    txn.commit().expect("commit");
}

/// Opens `path` and reads every record, as a node's start does.
fn open_and_read(path: &Path) -> Result<usize, RedbFileError> {
    let (db, _) = open(path)?;
    guarded(path, || {
        let txn = db.begin_read().map_err(|e| unreadable(path, e))?;
        let t = txn.open_table(T).map_err(|e| unreadable(path, e))?;
        let mut n = 0;
        for row in t.iter().map_err(|e| unreadable(path, e))? {
            let (_, v) = row.map_err(|e| unreadable(path, e))?;
            serde_json::from_slice::<serde_json::Value>(v.value())
                .map_err(|e| unreadable(path, e))?;
            n += 1;
        }
        Ok(n)
    })
}

#[test]
fn absent_is_created_empty_is_refused_existing_is_opened() {
    let dir = Scratch::new("basic");
    let path = dir.0.join("a.redb");
    good_file(&path);
    assert_eq!(open_and_read(&path).expect("reopen"), 400);
    let empty = dir.0.join("empty.redb");
    std::fs::write(&empty, b"").expect("write");
    assert!(matches!(open(&empty), Err(RedbFileError::Empty { .. })));
    assert_eq!(
        std::fs::metadata(&empty).expect("meta").len(),
        0,
        "left as it was"
    );
    let (_held, _) = open(&path).expect("open");
    assert!(matches!(open(&path), Err(RedbFileError::InUse { .. })));
}

#[test]
fn damaged_files_give_errors_naming_them_never_panics() {
    let dir = Scratch::new("matrix");
    let good = dir.0.join("good.redb");
    good_file(&good);
    let bytes = std::fs::read(&good).expect("read");
    let len = bytes.len();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [1, 100, 511, 4096, len / 2, len - 1] {
        cases.push((format!("truncated at {cut}"), bytes[..cut].to_vec()));
    }
    for page in [0, 1, 2, len / 4096 / 2, len / 4096 - 1] {
        let mut b = bytes.clone();
        let end = ((page + 1) * 4096).min(len);
        b[page * 4096..end].fill(0);
        cases.push((format!("page {page} zeroed"), b));
    }
    for at in [0, 9, 64, 200, 4096 + 17, len / 2, len - 100, len - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0xff;
        cases.push((format!("byte {at} flipped"), b));
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let mut after_header = bytes[..4096].to_vec();
    after_header.extend_from_slice(&random[4096..]);
    cases.push(("random bytes".into(), random));
    cases.push(("a valid header, then random bytes".into(), after_header));
    let mut detected = 0;
    for (name, content) in &cases {
        let path = dir.0.join("case.redb");
        std::fs::write(&path, content).expect("write case");
        match open_and_read(&path) {
            Err(e) => {
                assert!(e.is_damage(), "{name}: {e}");
                assert!(e.to_string().contains("case.redb"), "{name}: {e}");
                detected += 1;
                eprintln!("{name}: {e}");
            }
            // A byte redb does not use changed nothing that is read.
            Ok(n) => assert_eq!(n, 400, "{name}: records lost without an error"),
        }
        let _ = std::fs::remove_file(&path);
    }
    eprintln!("{detected} of {} damaged files refused", cases.len());
}

#[test]
fn a_panic_inside_guarded_is_an_error_naming_the_file() {
    let path = Path::new("/nowhere/x.redb");
    let outcome: Result<(), _> = guarded(path, || panic!("impossible page"));
    match outcome {
        Err(RedbFileError::Unreadable { path: p, reason }) => {
            assert_eq!(p, path);
            assert!(reason.contains("impossible page"), "{reason}");
        }
        other => panic!("not reported as damage: {other:?}"),
    }
    // Panics outside it are not caught (and are printed as usual).
    assert!(std::panic::catch_unwind(|| guarded(path, || Ok(()))).is_ok());
}

#[cfg(unix)]
#[test]
fn files_and_made_folders_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let scratch = Scratch::new("modes");
    let dir = scratch.0.join("made/here");
    private_dir(&dir).expect("made");
    assert_eq!(mode(&dir), 0o700);
    let path = dir.join("state.redb");
    drop(open(&path).expect("create"));
    assert_eq!(mode(&path), 0o600, "a new file");
    // A file from before (or copied in) that others can read is narrowed.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (_db, opened) = open(&path).expect("reopen");
    assert_eq!(opened, Opened::Existing);
    assert_eq!(mode(&path), 0o600, "an existing file");
    // A folder that was there keeps the operator's mode.
    std::fs::set_permissions(&scratch.0, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    private_dir(&scratch.0).expect("exists");
    assert_eq!(mode(&scratch.0), 0o755);
}
