//! Integration tests of the registry: loading indexes from paths, `file:` URLs and a
//! loopback HTTP server, installing into temporary data directories, and building
//! indexes. Artifacts are small fake byte files; their content is never parsed here.

mod builder;
mod docs;
mod http;
mod install;
mod select;
mod support;
mod upgrade;
