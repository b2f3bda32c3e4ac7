//! apigw-geo: client IP -> location (maxminddb), the region catalog, and the
//! choice of the nearest healthy region.
//!
//! Empty until the geo/edge work lands; a single node does not need it.
