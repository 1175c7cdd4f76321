//! The tools of the multicall binary, one module each.

pub mod apk;
pub mod apt;
pub mod cargo;
pub mod cc;
pub mod go;
pub mod info;
pub mod links;
pub mod lint;
pub mod lower;
pub mod verify;
