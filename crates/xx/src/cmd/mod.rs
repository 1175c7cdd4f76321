//! The tools of the multicall binary, one module each.

pub mod info;
pub mod links;
pub mod verify;
