//! What the numbers were measured on: CPU, cores, memory, kernel, filesystem, and
//! the versions of the toolchain and of the libraries that matter most.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// The machine and build a report was measured on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    /// `model name` of the first CPU.
    pub cpu_model: Option<String>,
    /// Logical CPUs the kernel reports.
    pub cores: usize,
    /// Whether the CPU has the SHA extensions (fast HMAC-SHA256).
    pub sha_ni: bool,
    /// Whether the CPU has AVX2.
    pub avx2: bool,
    /// Total memory.
    pub memory_mib: Option<u64>,
    /// `uname -r`.
    pub kernel: Option<String>,
    /// Filesystem type and device holding the work directory.
    pub filesystem: Option<String>,
    /// `rustc --version`.
    pub rustc: Option<String>,
    /// wasmtime version from `Cargo.lock`.
    pub wasmtime: Option<String>,
    /// `libsqlite3-sys` (bundled SQLite) version from `Cargo.lock`.
    pub libsqlite3_sys: Option<String>,
    /// hyper version from `Cargo.lock`.
    pub hyper: Option<String>,
}

/// Describes this machine; `root` is the workspace (for `Cargo.lock`) and `work`
/// the directory the databases live in.
pub fn describe(root: &Path, work: &Path) -> Machine {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = cpuinfo
        .lines()
        .find(|line| line.starts_with("flags"))
        .unwrap_or_default();
    let has_flag = |flag: &str| flags.split_whitespace().any(|f| f == flag);
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    Machine {
        cpu_model: cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map(|(_, model)| model.trim().to_owned()),
        cores: cpuinfo
            .lines()
            .filter(|line| line.starts_with("processor"))
            .count(),
        sha_ni: has_flag("sha_ni"),
        avx2: has_flag("avx2"),
        memory_mib: fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|meminfo| crate::procstat::parse_status_kib(&meminfo, "MemTotal:"))
            .map(|kib| kib / 1024),
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|release| release.trim().to_owned()),
        filesystem: filesystem_of(work),
        rustc: Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned()),
        wasmtime: locked_version(&lock, "wasmtime"),
        libsqlite3_sys: locked_version(&lock, "libsqlite3-sys"),
        hyper: locked_version(&lock, "hyper"),
    }
}

/// The version of package `name` in a `Cargo.lock` (the first, if several).
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = ")?;
            return Some(version.trim_matches('"').to_owned());
        }
    }
    None
}

/// `fstype (device)` of the mount holding `path`, from `/proc/mounts`.
fn filesystem_of(path: &Path) -> Option<String> {
    let path = fs::canonicalize(path).ok()?;
    let mounts = fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = fields.next()?;
            let mount_point = fields.next()?;
            let fstype = fields.next()?;
            path.starts_with(mount_point)
                .then(|| (mount_point.len(), format!("{fstype} ({device})")))
        })
        .max_by_key(|(length, _)| *length)
        .map(|(_, described)| described)
}
