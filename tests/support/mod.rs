//! Helpers shared by integration tests (`mod support;`).

#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod compare;
pub mod flatten;
pub mod oracle;
pub mod paths;
