//! Helpers for black-box tests: start real `apigw` processes on loopback
//! (ephemeral ports, a fresh data directory each), real backends, and a
//! plain HTTP client, and a signing client of the admin listener.

pub mod admin;
pub mod aws;
pub mod backend;
pub mod client;
pub mod cluster;
pub mod node;
pub mod python;
pub mod raw;

pub use admin::{AdminClient, AdminKeys};
pub use backend::{Backend, Seen};
pub use client::{Client, Reply};
pub use node::{Node, NodeBuilder};
