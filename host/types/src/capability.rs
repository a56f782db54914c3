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

fn root_path() -> String {
    "/".to_owned()
}
