# Switchboard's task runner. CI runs `just test` and nothing else.

set shell := ["bash", "-euo", "pipefail", "-c"]

channels := "whatsapp telegram slack"
wasm_dir := "target/wasm32-wasip2/release"

# List the recipes.
default:
    @just --list

# Install what the build needs that cargo does not fetch by itself.
setup:
    scripts/ensure-tools

# Build the daemon, the first-party channels, the test guests and the registry index.
build: setup channels guests
    cargo build --release --locked -p switchboard-cli
    just index

# Compile the first-party channels to wasm32-wasip2 components.
channels: setup
    cargo build --release --locked --target wasm32-wasip2 {{ prepend("-p switchboard-channel-", channels) }}

# Compile the test guest components (tests/guests/*), used by the end-to-end tests.
guests: setup
    pkgs=""; for d in tests/guests/*/; do [ -f "$d/Cargo.toml" ] && pkgs="$pkgs -p switchboard-guest-$(basename "$d")"; done; \
    if [ -n "$pkgs" ]; then cargo build --release --locked --target wasm32-wasip2 $pkgs; fi

# Write target/registry/index.json for the freshly built channels.
index:
    target/release/switchboard registry build --out target/registry/index.json \
      $(for c in {{ channels }}; do printf -- '--component registry/%s/manifest.json={{ wasm_dir }}/switchboard_channel_%s.wasm ' "$c" "$c"; done)

# Build everything, install the first-party channels and run the daemon with the
# development config (dev.switchboard.toml).
run: build
    for c in {{ channels }}; do target/release/switchboard install "$c" --config dev.switchboard.toml --registry target/registry/index.json; done
    target/release/switchboard serve --config dev.switchboard.toml

# Run every test: unit, channel, and end-to-end tests through the real daemon.
test: build
    cargo test --release --locked --workspace

# Formatting and lints, as CI would judge them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Format the code.
fmt:
    cargo fmt --all
