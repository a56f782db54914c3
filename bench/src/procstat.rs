//! CPU time and memory of processes and threads, read from `/proc` (Linux).
//!
//! Every reader returns `None` where `/proc` is missing or unreadable: the numbers
//! annotate a benchmark, they are not worth failing it for.

use std::fs;

/// `/proc` reports CPU time in clock ticks of `USER_HZ`, which the kernel fixes at
/// 100 per second on every architecture's user ABI.
const TICKS_PER_SECOND: f64 = 100.0;

/// Clock ticks as seconds.
pub fn ticks_to_secs(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_SECOND
}

/// User plus system CPU ticks of the calling thread.
pub fn thread_cpu_ticks() -> Option<u64> {
    parse_stat_cpu_ticks(&fs::read_to_string("/proc/thread-self/stat").ok()?)
}

/// User plus system CPU ticks of every thread of process `pid`.
pub fn process_cpu_ticks(pid: u32) -> Option<u64> {
    parse_stat_cpu_ticks(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// `utime + stime` of a `/proc/.../stat` line. The command name can hold spaces
/// and parentheses, so fields are counted from the last `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Field 3 (state) is the first after the name; utime and stime are 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Resident set size of `pid` in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// Peak resident set size of `pid` in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_kib(&status, key)
}

/// The value of a `Key:   1234 kB` line.
pub fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}
