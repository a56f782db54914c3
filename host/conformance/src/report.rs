//! The text a channel author reads: one line per case, and under each failing case
//! the fields that differ.

use std::fmt::Write as _;

use crate::run::CaseOutcome;

/// Renders the outcomes of a run. With `print_actual`, each case's whole outcome
/// follows as JSON (to write an expectation from, once it is checked by eye).
pub fn render(component: &str, outcomes: &[CaseOutcome], print_actual: bool) -> String {
    let mut out = String::new();
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    for outcome in outcomes {
        let mark = if outcome.passed() { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "{mark} {}", outcome.name);
        if !outcome.passed()
            && let Some(description) = &outcome.description
        {
            let _ = writeln!(out, "     ({description})");
        }
        for problem in &outcome.problems {
            let _ = writeln!(out, "     {problem}");
        }
        for mismatch in &outcome.mismatches {
            let _ = writeln!(out, "     {mismatch}");
        }
        if print_actual || (!outcome.passed() && outcome.mismatches.len() > 3) {
            let pretty = serde_json::to_string_pretty(&outcome.actual).unwrap_or_default();
            let _ = writeln!(out, "     what the call produced:");
            for line in pretty.lines() {
                let _ = writeln!(out, "       {line}");
            }
        }
    }
    let _ = writeln!(
        out,
        "{component}: {} passed, {failed} failed",
        outcomes.len() - failed
    );
    out
}
