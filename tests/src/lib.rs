//! Helpers for black-box tests: start real `apigw` processes on loopback
//! (ephemeral ports, a fresh data directory each), real backends, and a
//! plain HTTP client.

pub mod backend;
pub mod client;
pub mod cluster;
pub mod node;
pub mod python;
pub mod raw;

pub use backend::{Backend, Seen};
pub use client::{Client, Reply};
pub use node::{Node, NodeBuilder};
