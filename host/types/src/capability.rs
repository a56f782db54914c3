use serde::{Deserialize, Serialize};

/// Permission to send HTTP requests to one origin, as requested by a manifest or
/// granted by an operator.
///
/// JSON: `{"origin": "https://graph.facebook.com", "path_prefix": "/", "methods": ["POST"]}`.
/// An empty `methods` list allows every method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpCapability {
    /// `scheme://host[:port]`, no path.
    pub origin: String,
    /// Requests must have a path starting with this prefix.
    #[serde(default = "root_path")]
    pub path_prefix: String,
    /// Upper-case methods; empty means any.
    #[serde(default)]
    pub methods: Vec<String>,
}

/// As `install`, `list` and the permission diff of an upgrade show it:
/// `https://api.example/v1/ (GET, POST)`, or `(any method)`.
impl std::fmt::Display for HttpCapability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{} (", self.origin, self.path_prefix)?;
        if self.methods.is_empty() {
            f.write_str("any method")?;
        } else {
            f.write_str(&self.methods.join(", "))?;
        }
        f.write_str(")")
    }
}

fn root_path() -> String {
    "/".to_owned()
}
