//! Secret references in the config: a literal string, `{ env = "NAME" }` or
//! `{ file = "path" }` (relative to the config file).

use std::path::Path;

use serde::Deserialize;

/// Where a secret's value comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum SecretRef {
    Literal(String),
    Env { env: String },
    File { file: String },
}

/// Why a secret could not be resolved; the message names the variable or file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretError {
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    #[error("environment variable {0} is empty")]
    EnvEmpty(String),
    #[error("cannot read secret file {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("secret file {0} is empty")]
    FileEmpty(String),
    #[error("the literal value is empty")]
    LiteralEmpty,
}

/// Resolves a secret. File contents are trimmed of a trailing newline, which
/// editors and `echo` add.
pub(crate) fn resolve(reference: &SecretRef, base: &Path) -> Result<String, SecretError> {
    match reference {
        SecretRef::Literal(value) if value.is_empty() => Err(SecretError::LiteralEmpty),
        SecretRef::Literal(value) => Ok(value.clone()),
        SecretRef::Env { env } => match std::env::var(env) {
            Ok(v) if v.is_empty() => Err(SecretError::EnvEmpty(env.clone())),
            Ok(v) => Ok(v),
            Err(_) => Err(SecretError::EnvMissing(env.clone())),
        },
        SecretRef::File { file } => {
            let path = base.join(file);
            let text = std::fs::read_to_string(&path).map_err(|source| SecretError::File {
                path: path.display().to_string(),
                source,
            })?;
            let value = text.trim_end_matches(['\n', '\r']).to_owned();
            if value.is_empty() {
                return Err(SecretError::FileEmpty(path.display().to_string()));
            }
            Ok(value)
        }
    }
}
