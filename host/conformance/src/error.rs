use std::path::PathBuf;

/// Why cases could not be read. Each names the file (or folder) at fault.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("cannot read the cases folder {dir}: {source}")]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{dir} has no case files (*.json)")]
    NoCases { dir: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// Why the component under test cannot be run at all.
#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Manifest {
        path: PathBuf,
        source: Box<switchboard_registry::RegistryError>,
    },
    #[error("{path}: {source}")]
    Load {
        path: PathBuf,
        source: switchboard_runtime::LoadError,
    },
    #[error(
        "{manifest} says `wit` {declared}, but {component} targets switchboard:channel@{actual}"
    )]
    WitMismatch {
        manifest: PathBuf,
        component: PathBuf,
        declared: String,
        actual: String,
    },
}
