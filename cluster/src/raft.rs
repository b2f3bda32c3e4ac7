//! The replicated control plane: an openraft group whose log, vote and
//! state machine are kept on disk (redb), whose RPCs travel over the QUIC
//! transport (`Kind::Raft`, each with openraft's deadline), and whose
//! commands are the node's own bytes.
//!
//! Commands carry an id: a command whose id was already applied is not
//! applied again, so a write whose outcome is unknown (a leader lost
//! mid-write) can be retried safely. Writes on a follower are forwarded to
//! the leader.

// openraft's storage traits return its `StorageError` (over 200 bytes) and
// our helpers pass it through; boxing it would only move the copy.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::io::Cursor;
use std::net::SocketAddr;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, OptionalSend, RaftLogReader, RaftSnapshotBuilder,
    SnapshotMeta, StorageError, StorageIOError, StoredMembership, Vote,
};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::redb_file::{self, RedbFileError};
use verify::verify_file;

mod verify;
use crate::transport::{HandlerReply, Kind, Transport};

/// A command of the node's, with the id that makes retries safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: String,
    pub data: Vec<u8>,
}

/// What applying a command returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub data: Vec<u8>,
    /// The command's id had been applied before: nothing was done.
    pub duplicate: bool,
    /// The log index the command was applied at.
    #[serde(default)]
    pub index: u64,
}

openraft::declare_raft_types!(
    /// The cluster's Raft types: byte commands, u64 node ids, addresses as nodes.
    pub TypeConfig:
        D = Command,
        R = Applied,
);

/// What the node's state is, as the log drives it.
pub trait Application: Send + Sync + 'static {
    fn apply(&self, command: &[u8]) -> Vec<u8>;
    /// The whole state, for snapshots.
    fn snapshot(&self) -> Vec<u8>;
    /// Replaces the state with a snapshot's.
    fn restore(&self, snapshot: &[u8]);
    /// Whether a snapshot read back from disk at start can be restored;
    /// called before [`Application::restore`], so a damaged state file
    /// stops the start instead of being skipped. The default accepts all.
    fn verify_snapshot(&self, _snapshot: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// Why a Raft operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RaftFailure {
    #[error("storage: {0}")]
    Storage(String),
    #[error("raft: {0}")]
    Raft(String),
    #[error("no leader is known")]
    NoLeader,
    /// This node leads but no quorum has answered it for a while (it is cut
    /// off from the majority): the write is refused before it is proposed.
    #[error("this node has not heard from a quorum for {0} ms (cut off from the majority?)")]
    NoQuorum(u64),
    /// No quorum committed the write in time; it may still commit later.
    #[error(
        "the write was not committed within {0:?} (no quorum answered); it may still be applied"
    )]
    NotCommitted(Duration),
    #[error("transport: {0}")]
    Transport(#[from] crate::transport::TransportError),
    /// `raft.redb` is held by another process or cannot be read.
    #[error(transparent)]
    File(#[from] RedbFileError),
}

/// The Raft state's file name in its directory.
pub const FILE: &str = "raft.redb";

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("raft_log");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("raft_meta");

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| e.to_string())
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

fn io_err(e: impl std::fmt::Display) -> StorageError<u64> {
    StorageIOError::<u64>::write(&std::io::Error::other(e.to_string())).into()
}

/// The Raft log and vote, in a redb file.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<redb::Database>,
}

impl LogStore {
    fn get_meta<T: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError<u64>> {
        let tx = self.db.begin_read().map_err(io_err)?;
        let table = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        match table.get(key).map_err(io_err)? {
            Some(v) => decode(v.value()).map(Some).map_err(io_err),
            None => Ok(None),
        }
    }

    fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StorageError<u64>> {
        let bytes = encode(value).map_err(io_err)?;
        let tx = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = tx.open_table(META).map_err(io_err)?;
            table.insert(key, bytes.as_slice()).map_err(io_err)?;
        }
        tx.commit().map_err(io_err)
    }

    fn remove_range(&self, range: impl RangeBounds<u64>) -> Result<(), StorageError<u64>> {
        let tx = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = tx.open_table(LOG).map_err(io_err)?;
            let keys: Vec<u64> = table
                .range(range)
                .map_err(io_err)?
                .filter_map(|r| r.ok().map(|(k, _)| k.value()))
                .collect();
            for k in keys {
                table.remove(k).map_err(io_err)?;
            }
        }
        tx.commit().map_err(io_err)
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<u64>> {
        let tx = self.db.begin_read().map_err(io_err)?;
        let table = match tx.open_table(LOG) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(io_err(e)),
        };
        let mut out = Vec::new();
        for item in table.range(range).map_err(io_err)? {
            let (_, v) = item.map_err(io_err)?;
            out.push(decode(v.value()).map_err(io_err)?);
        }
        Ok(out)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        let purged: Option<LogId<u64>> = self.get_meta("purged")?;
        let last = {
            let tx = self.db.begin_read().map_err(io_err)?;
            match tx.open_table(LOG) {
                Ok(table) => match table.last().map_err(io_err)? {
                    Some((_, v)) => Some(
                        decode::<Entry<TypeConfig>>(v.value())
                            .map_err(io_err)?
                            .log_id,
                    ),
                    None => None,
                },
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(io_err(e)),
            }
        };
        Ok(LogState {
            last_purged_log_id: purged,
            last_log_id: last.or(purged),
        })
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<u64>>,
    ) -> Result<(), StorageError<u64>> {
        self.put_meta("committed", &committed)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        Ok(self.get_meta::<Option<LogId<u64>>>("committed")?.flatten())
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        self.put_meta("vote", vote)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        self.get_meta("vote")
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
    {
        // Acknowledged only once the transaction is committed (on disk).
        let tx = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = tx.open_table(LOG).map_err(io_err)?;
            for entry in entries {
                let bytes = encode(&entry).map_err(io_err)?;
                table
                    .insert(entry.log_id.index, bytes.as_slice())
                    .map_err(io_err)?;
            }
        }
        tx.commit().map_err(io_err)?;
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        self.remove_range(log_id.index..)
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        self.put_meta("purged", &Some(log_id))?;
        self.remove_range(..=log_id.index)
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }
}

/// The state machine's own bookkeeping, kept with the application's state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct MachineState {
    last_applied: Option<LogId<u64>>,
    membership: StoredMembership<u64, BasicNode>,
    /// Ids of recently applied commands (bounded), for idempotency.
    recent: VecDeque<String>,
    /// Node ids that left the group: never admitted again.
    #[serde(default)]
    removed: std::collections::BTreeSet<u64>,
    app: Vec<u8>,
}

/// How many command ids are remembered for deduplication.
const REMEMBERED_IDS: usize = 10_000;

/// The state machine: the application plus what Raft needs, saved on disk
/// after every applied batch.
#[derive(Clone)]
pub struct StateMachine {
    db: Arc<redb::Database>,
    app: Arc<dyn Application>,
    state: Arc<Mutex<(MachineState, HashSet<String>)>>,
}

impl StateMachine {
    fn open(
        db: Arc<redb::Database>,
        app: Arc<dyn Application>,
    ) -> Result<StateMachine, StorageError<u64>> {
        let store = LogStore { db: db.clone() };
        let saved: MachineState = store.get_meta("machine")?.unwrap_or_default();
        if !saved.app.is_empty() {
            app.restore(&saved.app);
        }
        let ids = saved.recent.iter().cloned().collect();
        Ok(StateMachine {
            db,
            app,
            state: Arc::new(Mutex::new((saved, ids))),
        })
    }

    fn save(&self) -> Result<(), StorageError<u64>> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone();
        LogStore {
            db: self.db.clone(),
        }
        .put_meta("machine", &state)
    }

    fn snapshot_now(&self) -> (SnapshotMeta<u64, BasicNode>, Vec<u8>) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.app = self.app.snapshot();
        let state = guard.0.clone();
        drop(guard);
        let id = state.last_applied.map_or_else(
            || "empty".to_string(),
            |l| format!("{}-{}", l.leader_id, l.index),
        );
        let meta = SnapshotMeta {
            last_log_id: state.last_applied,
            last_membership: state.membership.clone(),
            snapshot_id: id,
        };
        (meta, encode(&state).unwrap_or_default())
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        let (meta, data) = self.snapshot_now();
        let store = LogStore {
            db: self.db.clone(),
        };
        store.put_meta("snapshot_meta", &meta)?;
        store.put_meta("snapshot_data", &data)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>), StorageError<u64>> {
        let guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Ok((guard.0.last_applied, guard.0.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Applied>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
    {
        let mut replies = Vec::new();
        {
            let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let (state, ids) = &mut *guard;
            for entry in entries {
                state.last_applied = Some(entry.log_id);
                let index = entry.log_id.index;
                match entry.payload {
                    EntryPayload::Blank => replies.push(Applied {
                        index,
                        ..Applied::default()
                    }),
                    EntryPayload::Membership(m) => {
                        let before: HashSet<u64> =
                            state.membership.nodes().map(|(id, _)| *id).collect();
                        let after: HashSet<u64> = m.nodes().map(|(id, _)| *id).collect();
                        state.removed.extend(before.difference(&after).copied());
                        state.membership = StoredMembership::new(Some(entry.log_id), m);
                        replies.push(Applied {
                            index,
                            ..Applied::default()
                        });
                    }
                    EntryPayload::Normal(command) => {
                        if ids.contains(&command.id) {
                            replies.push(Applied {
                                data: Vec::new(),
                                duplicate: true,
                                index,
                            });
                            continue;
                        }
                        let data = self.app.apply(&command.data);
                        ids.insert(command.id.clone());
                        state.recent.push_back(command.id);
                        while state.recent.len() > REMEMBERED_IDS {
                            if let Some(old) = state.recent.pop_front() {
                                ids.remove(&old);
                            }
                        }
                        replies.push(Applied {
                            data,
                            duplicate: false,
                            index,
                        });
                    }
                }
            }
            state.app = self.app.snapshot();
        }
        self.save()?;
        Ok(replies)
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let data = snapshot.into_inner();
        let mut state: MachineState = decode(&data).map_err(io_err)?;
        state.last_applied = meta.last_log_id;
        state.membership = meta.last_membership.clone();
        self.app.restore(&state.app);
        {
            let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
            guard.1 = state.recent.iter().cloned().collect();
            guard.0 = state;
        }
        self.save()?;
        let store = LogStore {
            db: self.db.clone(),
        };
        store.put_meta("snapshot_meta", meta)?;
        store.put_meta("snapshot_data", &data)
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let store = LogStore {
            db: self.db.clone(),
        };
        let (Some(meta), Some(data)) = (
            store.get_meta::<SnapshotMeta<u64, BasicNode>>("snapshot_meta")?,
            store.get_meta::<Vec<u8>>("snapshot_data")?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }
}

/// A Raft RPC (or a forwarded write or membership change) on the wire.
#[derive(Debug, Serialize, Deserialize)]
enum Rpc {
    Append(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<u64>),
    Snapshot(InstallSnapshotRequest<TypeConfig>),
    Write(Command),
    Member(MemberChange),
    /// A follower's linearizable read: the leader confirms it still leads
    /// and answers the log index a read must see.
    ReadIndex,
}

/// A membership change, run on the leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberChange {
    /// A new node asks to follow the log as a learner.
    Join { id: u64, addr: String },
    /// A learner becomes a voter.
    Promote { id: u64 },
    /// A node leaves the group (its id is never used again).
    Remove { id: u64 },
}

/// openraft's view of the QUIC transport.
#[derive(Clone)]
pub struct Network {
    transport: Arc<Transport>,
}

/// A connection to one peer.
pub struct Connection {
    transport: Arc<Transport>,
    target: u64,
    addr: Option<SocketAddr>,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Connection {
        Connection {
            transport: self.transport.clone(),
            target,
            addr: node.addr.parse().ok(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

impl Connection {
    async fn send<Resp, E>(
        &self,
        rpc: &Rpc,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<u64, BasicNode, RaftError<u64, E>>>
    where
        Resp: for<'de> Deserialize<'de>,
        E: std::error::Error + for<'de> Deserialize<'de>,
    {
        let Some(addr) = self.addr else {
            return Err(RPCError::Unreachable(Unreachable::new(&Message(format!(
                "node {} has no valid address",
                self.target
            )))));
        };
        let payload = encode(rpc).map_err(|e| RPCError::Network(NetworkError::new(&Message(e))))?;
        let reply = self
            .transport
            .call(self.target, addr, Kind::Raft, payload, option.hard_ttl())
            .await
            .map_err(|e| match e {
                crate::TransportError::Unreachable { .. } | crate::TransportError::Timeout(_) => {
                    RPCError::Unreachable(Unreachable::new(&e))
                }
                other => RPCError::Network(NetworkError::new(&other)),
            })?;
        let result: Result<Resp, RaftError<u64, E>> =
            decode(&reply).map_err(|e| RPCError::Network(NetworkError::new(&Message(e))))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for Connection {
    async fn append_entries(
        &mut self,
        req: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        self.send(&Rpc::Append(req), &option).await
    }

    async fn install_snapshot(
        &mut self,
        req: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>,
    > {
        self.send(&Rpc::Snapshot(req), &option).await
    }

    async fn vote(
        &mut self,
        req: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        self.send(&Rpc::Vote(req), &option).await
    }
}

/// Timing of the Raft group (election timeouts must be ~10x the RTT).
#[derive(Debug, Clone)]
pub struct RaftTiming {
    pub heartbeat_ms: u64,
    pub election_min_ms: u64,
    pub election_max_ms: u64,
    /// Take a snapshot (and compact the log) every this many entries.
    pub snapshot_every: u64,
}

impl Default for RaftTiming {
    fn default() -> Self {
        RaftTiming {
            heartbeat_ms: 100,
            election_min_ms: 500,
            election_max_ms: 1000,
            snapshot_every: 1000,
        }
    }
}

/// A node's member of the Raft group.
pub struct RaftNode {
    pub raft: openraft::Raft<TypeConfig>,
    node_id: u64,
    transport: Arc<Transport>,
    /// The state machine's state (for the removed ids).
    removed: Arc<Mutex<(MachineState, HashSet<String>)>>,
    /// A leader not acknowledged by a quorum for this long refuses writes.
    quorum_stale: Duration,
}

/// The longest a write waits for its commit, whatever the caller's
/// deadline: a healthy cluster commits in a few round trips, and a client
/// of a node cut off from the majority should hear so in seconds.
pub const WRITE_WAIT_MAX: Duration = Duration::from_secs(3);

impl RaftNode {
    /// Opens (or creates) the Raft state in `dir/raft.redb` and starts the
    /// group member; RPCs go out over `transport`.
    pub async fn start(
        node_id: u64,
        dir: &Path,
        transport: Arc<Transport>,
        app: Arc<dyn Application>,
        timing: RaftTiming,
    ) -> Result<Arc<RaftNode>, RaftFailure> {
        redb_file::private_dir(dir).map_err(|e| RaftFailure::Storage(e.to_string()))?;
        let path = dir.join(FILE);
        let db = Arc::new(redb_file::open(&path)?.0);
        redb_file::guarded(&path, || {
            verify_file(&db, app.as_ref()).map_err(|reason| RedbFileError::Unreadable {
                path: path.clone(),
                reason,
            })
        })?;
        let config = openraft::Config {
            heartbeat_interval: timing.heartbeat_ms,
            election_timeout_min: timing.election_min_ms,
            election_timeout_max: timing.election_max_ms,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(timing.snapshot_every),
            max_in_snapshot_log_to_keep: 100,
            ..Default::default()
        };
        let config = Arc::new(
            config
                .validate()
                .map_err(|e| RaftFailure::Raft(e.to_string()))?,
        );
        let log = LogStore { db: db.clone() };
        let machine =
            StateMachine::open(db, app).map_err(|e| RaftFailure::Storage(e.to_string()))?;
        let removed = machine.state.clone();
        let network = Network {
            transport: transport.clone(),
        };
        let raft = openraft::Raft::new(node_id, config, network, log, machine)
            .await
            .map_err(|e| RaftFailure::Raft(e.to_string()))?;
        Ok(Arc::new(RaftNode {
            raft,
            node_id,
            transport,
            removed,
            quorum_stale: Duration::from_millis(timing.election_max_ms.saturating_mul(2)),
        }))
    }

    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// Makes the first membership (on one node, once).
    pub async fn initialize(&self, members: BTreeMap<u64, SocketAddr>) -> Result<(), RaftFailure> {
        let members: BTreeMap<u64, BasicNode> = members
            .into_iter()
            .map(|(id, addr)| (id, BasicNode::new(addr.to_string())))
            .collect();
        match self.raft.initialize(members).await {
            Ok(()) => Ok(()),
            Err(RaftError::APIError(openraft::error::InitializeError::NotAllowed(_))) => Ok(()),
            Err(e) => Err(RaftFailure::Raft(e.to_string())),
        }
    }

    /// Answers a Raft RPC or a forwarded write from a peer (the transport's
    /// `Kind::Raft` handler).
    pub fn handle(self: &Arc<RaftNode>, payload: Vec<u8>) -> HandlerReply {
        let node = self.clone();
        Box::pin(async move {
            let rpc: Rpc = decode(&payload)?;
            match rpc {
                Rpc::Append(req) => encode(&node.raft.append_entries(req).await),
                Rpc::Vote(req) => encode(&node.raft.vote(req).await),
                Rpc::Snapshot(req) => encode(&node.raft.install_snapshot(req).await),
                Rpc::Write(command) => {
                    let result = node
                        .raft
                        .client_write(command)
                        .await
                        .map(|r| r.data)
                        .map_err(|e| e.to_string());
                    encode(&result)
                }
                Rpc::Member(change) => encode(&node.change_members_here(change).await),
                Rpc::ReadIndex => encode(&node.read_index_here().await),
            }
        })
    }

    /// Writes a command: on the leader, or forwarded to it, and returns
    /// once this node has applied it too (so what it reads next includes
    /// the write), or the deadline passed (the write is committed anyway).
    /// Retrying with the same id after an unknown outcome applies it at
    /// most once.
    ///
    /// Fails fast when the write cannot commit: a leader that no quorum has
    /// acknowledged for two election timeouts refuses it (`NoQuorum`), a
    /// node that knows no leader says so (`NoLeader`), and no write waits
    /// longer than [`WRITE_WAIT_MAX`] (`NotCommitted`: the outcome is
    /// unknown; it may commit once the partition heals).
    pub async fn write(
        &self,
        command: Command,
        deadline: Duration,
    ) -> Result<Applied, RaftFailure> {
        let m = self.raft.metrics().borrow().clone();
        if m.current_leader == Some(self.node_id) {
            if let Some(ms) = m
                .millis_since_quorum_ack
                .filter(|ms| Duration::from_millis(*ms) > self.quorum_stale)
            {
                return Err(RaftFailure::NoQuorum(ms));
            }
        }
        let bound = deadline.min(WRITE_WAIT_MAX);
        // The inner steps keep to `bound`; the outer bound only catches a
        // step that does not (openraft's own wait for a commit).
        tokio::time::timeout(
            bound + Duration::from_millis(250),
            self.write_within(command, bound),
        )
        .await
        .unwrap_or(Err(RaftFailure::NotCommitted(bound)))
    }

    async fn write_within(
        &self,
        command: Command,
        deadline: Duration,
    ) -> Result<Applied, RaftFailure> {
        let applied = match self.raft.client_write(command.clone()).await {
            Ok(response) => return Ok(response.data),
            Err(e) => {
                let Some(forward) = e.forward_to_leader::<BasicNode>() else {
                    return Err(RaftFailure::Raft(e.to_string()));
                };
                let (Some(leader), Some(node)) = (forward.leader_id, forward.leader_node.clone())
                else {
                    return Err(RaftFailure::NoLeader);
                };
                let addr: SocketAddr = node.addr.parse().map_err(|_| {
                    RaftFailure::Raft(format!("leader {leader} has no valid address"))
                })?;
                let payload = encode(&Rpc::Write(command)).map_err(RaftFailure::Raft)?;
                let reply = self
                    .transport
                    .call(leader, addr, Kind::Raft, payload, deadline)
                    .await?;
                let result: Result<Applied, String> = decode(&reply).map_err(RaftFailure::Raft)?;
                result.map_err(RaftFailure::Raft)?
            }
        };
        if let Err(e) = self
            .raft
            .wait(Some(deadline))
            .applied_index_at_least(Some(applied.index), "a forwarded write applied here")
            .await
        {
            tracing::warn!(target: "apigw::raft", index = applied.index, error = %e, "write committed but not yet applied on this node");
        }
        Ok(applied)
    }

    /// The leader's side of a linearizable read: leadership confirmed by a
    /// quorum, the index a read must have applied.
    async fn read_index_here(&self) -> Result<u64, String> {
        self.raft
            .ensure_linearizable()
            .await
            .map(|id| id.map_or(0, |l| l.index))
            .map_err(|e| e.to_string())
    }

    /// Makes what this node reads next linearizable: the leader confirms
    /// with a quorum that it still leads (ReadIndex; a follower asks the
    /// leader) and this node waits until it has applied that far. Fails
    /// fast like [`RaftNode::write`], within `deadline` (at most
    /// [`WRITE_WAIT_MAX`]).
    pub async fn read_barrier(&self, deadline: Duration) -> Result<(), RaftFailure> {
        let bound = deadline.min(WRITE_WAIT_MAX);
        let barrier = async {
            let leader = self.raft.metrics().borrow().current_leader;
            let index = match leader {
                Some(l) if l == self.node_id => {
                    self.read_index_here().await.map_err(RaftFailure::Raft)?
                }
                Some(l) => {
                    let addr = self
                        .raft
                        .metrics()
                        .borrow()
                        .membership_config
                        .nodes()
                        .find(|(id, _)| **id == l)
                        .and_then(|(_, n)| n.addr.parse::<SocketAddr>().ok())
                        .ok_or(RaftFailure::NoLeader)?;
                    let payload = encode(&Rpc::ReadIndex).map_err(RaftFailure::Raft)?;
                    let reply = self
                        .transport
                        .call(l, addr, Kind::Raft, payload, bound)
                        .await?;
                    let index: Result<u64, String> = decode(&reply).map_err(RaftFailure::Raft)?;
                    index.map_err(RaftFailure::Raft)?
                }
                None => return Err(RaftFailure::NoLeader),
            };
            self.raft
                .wait(Some(bound))
                .applied_index_at_least(Some(index), "a linearizable read")
                .await
                .map_err(|e| RaftFailure::Raft(e.to_string()))?;
            Ok(())
        };
        tokio::time::timeout(bound + Duration::from_millis(250), barrier)
            .await
            .unwrap_or(Err(RaftFailure::NotCommitted(bound)))
    }

    /// Changes the membership: on the leader, or forwarded to it (through
    /// `via` when this node knows no leader yet, as a joining node).
    pub async fn change_members(
        &self,
        change: MemberChange,
        via: Option<(u64, SocketAddr)>,
        deadline: Duration,
    ) -> Result<(), RaftFailure> {
        let target = match (self.raft.metrics().borrow().current_leader, via) {
            (Some(leader), _) if leader == self.node_id => None,
            (Some(leader), _) => {
                let addr = self
                    .raft
                    .metrics()
                    .borrow()
                    .membership_config
                    .nodes()
                    .find(|(id, _)| **id == leader)
                    .and_then(|(_, n)| n.addr.parse::<SocketAddr>().ok());
                Some((leader, addr.ok_or(RaftFailure::NoLeader)?))
            }
            (None, Some(via)) => Some(via),
            (None, None) => return Err(RaftFailure::NoLeader),
        };
        match target {
            None => self
                .change_members_here(change)
                .await
                .map_err(RaftFailure::Raft),
            Some((id, addr)) => {
                let payload = encode(&Rpc::Member(change)).map_err(RaftFailure::Raft)?;
                let reply = self
                    .transport
                    .call(id, addr, Kind::Raft, payload, deadline)
                    .await?;
                let result: Result<(), String> = decode(&reply).map_err(RaftFailure::Raft)?;
                result.map_err(RaftFailure::Raft)
            }
        }
    }

    /// Applies a membership change on this node, which must lead (a
    /// follower forwards once more to the leader it knows).
    async fn change_members_here(&self, change: MemberChange) -> Result<(), String> {
        let leader = self.raft.metrics().borrow().current_leader;
        if leader != Some(self.node_id) {
            return Box::pin(self.change_members(change, None, Duration::from_secs(10)))
                .await
                .map_err(|e| e.to_string());
        }
        let membership = self.raft.metrics().borrow().membership_config.clone();
        let removed = self.removed_ids();
        // A change commits only with a majority of the old and the new
        // membership: do not wait forever when one is missing.
        let limit = Duration::from_secs(10);
        let timed = |what: &'static str| {
            move |_| {
                format!("the {what} did not commit within {limit:?}: is a majority of the old and new membership up?")
            }
        };
        let result = match change {
            MemberChange::Join { id, addr } => {
                if removed.contains(&id) {
                    return Err(format!(
                        "node id {id} was removed from the cluster and cannot be used again"
                    ));
                }
                if let Some((_, node)) = membership.nodes().find(|(n, _)| **n == id) {
                    if node.addr != addr {
                        return Err(format!("node id {id} is already a member at {}", node.addr));
                    }
                    return Ok(());
                }
                tokio::time::timeout(limit, self.raft.add_learner(id, BasicNode::new(addr), true))
                    .await
                    .map_err(timed("join"))?
                    .map(|_| ())
            }
            MemberChange::Promote { id } => {
                let voters = [id].into_iter().collect();
                tokio::time::timeout(
                    limit,
                    self.raft
                        .change_membership(openraft::ChangeMembers::AddVoterIds(voters), false),
                )
                .await
                .map_err(timed("promotion"))?
                .map(|_| ())
            }
            MemberChange::Remove { id } => {
                // One membership change: a voter is removed without being
                // kept as a learner (`retain: false`), a learner dropped.
                let ids: std::collections::BTreeSet<u64> = [id].into_iter().collect();
                let change = if membership.voter_ids().any(|v| v == id) {
                    openraft::ChangeMembers::RemoveVoters(ids)
                } else {
                    openraft::ChangeMembers::RemoveNodes(ids)
                };
                tokio::time::timeout(limit, self.raft.change_membership(change, false))
                    .await
                    .map_err(timed("removal"))?
                    .map(|_| ())
            }
        };
        result.map_err(|e| e.to_string())
    }

    fn removed_ids(&self) -> std::collections::BTreeSet<u64> {
        // The state machine's record, read through its saved state.
        self.removed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .removed
            .clone()
    }

    /// Voter and learner ids of the current membership.
    pub fn members(&self) -> (Vec<u64>, Vec<u64>) {
        let m = self.raft.metrics().borrow().membership_config.clone();
        let voters: Vec<u64> = m.voter_ids().collect();
        let learners = m
            .nodes()
            .map(|(id, _)| *id)
            .filter(|id| !voters.contains(id))
            .collect();
        (voters, learners)
    }

    /// The leader this node knows, if any.
    pub fn leader(&self) -> Option<u64> {
        self.raft.metrics().borrow().current_leader
    }

    /// Term, last applied index and leader, for the admin API and metrics.
    pub fn status(&self) -> (u64, Option<u64>, Option<u64>) {
        let m = self.raft.metrics().borrow().clone();
        (
            m.current_term,
            m.last_applied.map(|l| l.index),
            m.current_leader,
        )
    }

    pub async fn shutdown(&self) {
        let _ = self.raft.shutdown().await;
    }
}
