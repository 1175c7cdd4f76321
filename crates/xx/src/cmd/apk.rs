//! `xx-apk`: apk for the target platform, compatible with tonistiigi/xx.
//!
//! The command line: `xx-apk setup`, `xx-apk clean` or apk's own arguments;
//! the work is [`xx_pkg::apk_tool`]'s, with the target resolved here once
//! (with Alpine's own vendor: packages always are).

use std::io::Write;

use anyhow::Result;
use xx_pkg::apk::{self, Request};
use xx_pkg::apk_tool::{ApkRun, ApkTool};
use xx_pkg::system;
use xx_platform::{Overlay, Vars};

use crate::exit::Outcome;

/// `xx-apk [setup|clean|<apk arguments>]`.
pub fn run(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    // Held until apk has finished, as xx does (nested runs skip it).
    let _lock = match vars.non_empty(apk::NOLOCK_VAR) {
        Some(_) => None,
        None => Some(system::lock_apk()?),
    };
    // Packages are always installed with Alpine's own vendor.
    let vars = Overlay::new(vars).set("XX_VENDOR", "");
    let context = match crate::host::TargetContext::resolve(&vars) {
        Ok(context) => context,
        Err(outcome) => return Ok(outcome),
    };
    let tool = ApkTool::from_vars(&vars);
    let ran = match apk::parse(args) {
        Request::Setup => tool.setup(&context.target)?,
        Request::Clean => tool.clean(&context.target)?,
        Request::Apk(args) => tool.run(&args, &context.target, out)?,
    };
    Ok(match ran {
        ApkRun::Skipped | ApkRun::Done => Outcome::Success,
        ApkRun::Ran(status) => Outcome::like_child(status),
    })
}
