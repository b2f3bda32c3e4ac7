//! apigw-simulations: seeded, replayable cluster scenarios run in one
//! process, with a report.
//!
//! Empty until the cluster and geo work lands.
