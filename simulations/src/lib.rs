//! apigw-simulations: the simulator as its own crate name. The code lives in
//! the gateway's library ([`apigw::simulation`]) so that the one installed
//! `apigw` binary runs `apigw sim` in process; this crate keeps the
//! `apigw-sim` binary and the scenario tests.

pub use apigw::simulation::*;
