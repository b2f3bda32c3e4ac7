//! Checking `raft.redb` before openraft starts on it: every log entry and
//! every record of the Raft metadata decoded, the state machine's saved
//! state judged by the application.

use openraft::{BasicNode, Entry, LogId, SnapshotMeta, Vote};
use redb::{ReadableDatabase, ReadableTable};

use super::{decode, Application, MachineState, TypeConfig, LOG, META};

/// Reads everything openraft and the state machine read at start, so a
/// damaged file stops the start here, naming the file, not later inside
/// openraft's task.
pub(super) fn verify_file(db: &redb::Database, app: &dyn Application) -> Result<(), String> {
    let tx = db.begin_read().map_err(|e| e.to_string())?;
    match tx.open_table(LOG) {
        Ok(table) => {
            for row in table.iter().map_err(|e| e.to_string())? {
                let (k, v) = row.map_err(|e| e.to_string())?;
                decode::<Entry<TypeConfig>>(v.value())
                    .map_err(|e| format!("log entry {}: {e}", k.value()))?;
            }
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    let table = match tx.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let machine = |bytes: &[u8]| -> Result<(), String> {
        let state: MachineState = decode(bytes)?;
        match state.app.is_empty() {
            true => Ok(()),
            false => app.verify_snapshot(&state.app),
        }
    };
    for row in table.iter().map_err(|e| e.to_string())? {
        let (k, v) = row.map_err(|e| e.to_string())?;
        let bytes = v.value();
        match k.value() {
            "machine" => machine(bytes),
            "snapshot_data" => decode::<Vec<u8>>(bytes).and_then(|data| machine(&data)),
            "vote" => decode::<Vote<u64>>(bytes).map(drop),
            "committed" | "purged" => decode::<Option<LogId<u64>>>(bytes).map(drop),
            "snapshot_meta" => decode::<SnapshotMeta<u64, BasicNode>>(bytes).map(drop),
            _ => decode::<serde_json::Value>(bytes).map(drop),
        }
        .map_err(|e| format!("record `{}`: {e}", k.value()))?;
    }
    Ok(())
}
