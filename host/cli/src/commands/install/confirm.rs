//! Asking the operator before an upgrade widens what a component may do.
//!
//! The operator reviewed the installed version's permissions; a running daemon
//! serves a new version within a second of `install`. So an upgrade that widens
//! them (a new origin, a raised limit, another verification) shows the difference
//! and goes ahead only with `--yes` or a "y" typed at a terminal. Refused, nothing
//! is written and the daemon keeps serving the installed version.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};

use anyhow::anyhow;
use switchboard_registry::InstallPlan;

/// Prints what the plan changes in the installed component's permissions and
/// decides whether it may be applied.
pub(super) fn approve(plan: &InstallPlan<'_>, yes: bool) -> anyhow::Result<()> {
    let (Some(current), changes) = (plan.current(), plan.changes()) else {
        return Ok(());
    };
    if changes.is_empty() {
        return Ok(());
    }
    let new = plan.manifest();
    println!(
        "permissions of {} {} -> {}:",
        current.name, current.version, new.version
    );
    for change in changes.changes() {
        println!("  {change}");
    }
    if !changes.widens() || yes {
        return Ok(());
    }
    let refused = || {
        anyhow!(
            "{name} {new} may do more than the installed {old} (the changes marked [wider] above); \
             nothing was installed, and a running daemon keeps serving {old}. \
             Run the install again with --yes to accept the changes",
            name = current.name,
            new = new.version,
            old = current.version,
        )
    };
    if !(io::stdin().is_terminal() && io::stdout().is_terminal()) {
        return Err(refused());
    }
    print!(
        "install {} {} with these permissions? [y/N] ",
        current.name, new.version
    );
    io::stdout().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(refused()),
    }
}
