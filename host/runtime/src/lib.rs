//! The wasmtime sandbox that runs channel components.
