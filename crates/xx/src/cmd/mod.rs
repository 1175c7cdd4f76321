//! The tools of the multicall binary, one module each.

pub mod apt;
pub mod cc;
pub mod info;
pub mod links;
pub mod verify;
