# Switchboard's task runner. CI runs `just ci` (lints, frozen-WIT check, every test).

set shell := ["bash", "-euo", "pipefail", "-c"]

channels := "whatsapp telegram slack discord"
wasm_dir := "target/wasm32-wasip2/release"
# The example third-party channel is its own Cargo workspace; its build output goes
# under the root target/ so that one `target/` holds everything.
example_manifest := "examples/webhook-channel/Cargo.toml"
example_target := "target/examples"

# List the recipes.
default:
    @just --list

# Install what the build needs that cargo does not fetch by itself.
setup:
    scripts/ensure-tools

# Build the daemon, the first-party channels, the test guests, the example channels and
# the registry indexes.
build: setup channels guests example example-python example-js
    cargo build --release --locked -p switchboard-cli
    just index examples-index

# Compile the first-party channels to wasm32-wasip2 components.
channels: setup
    cargo build --release --locked --target wasm32-wasip2 {{ prepend("-p switchboard-channel-", channels) }}

# Compile the test guest components (tests/guests/*), used by the end-to-end tests.
guests: setup
    pkgs=""; for d in tests/guests/*/; do [ -f "$d/Cargo.toml" ] && pkgs="$pkgs -p switchboard-guest-$(basename "$d")"; done; \
    if [ -n "$pkgs" ]; then cargo build --release --locked --target wasm32-wasip2 $pkgs; fi

# Compile the Rust example channel (examples/webhook-channel) with plain cargo;
# `just examples-cargo-component` shows the cargo-component way.
example: setup
    cargo build --release --locked --target wasm32-wasip2 --manifest-path {{ example_manifest }} --target-dir {{ example_target }}

# Build the Python example channel with componentize-py (installed from PyPI into
# target/tools if missing) into target/examples/python/webhook_py.wasm.
example-python:
    examples/python-channel/build.sh target/examples/python/webhook_py.wasm

# Build the JavaScript example channel with componentize-js (installed from npm if
# missing) into target/examples/js/webhook_js.wasm.
example-js:
    examples/js-channel/build.sh target/examples/js/webhook_js.wasm

# Build the three example channels (Rust, Python, JavaScript) and write
# target/examples-registry/index.json; then e.g.
# `switchboard install webhook-py --registry target/examples-registry/index.json`.
examples: example example-python example-js
    cargo build --release --locked -p switchboard-cli
    just examples-index

# Write target/examples-registry/index.json for the built example channels.
examples-index:
    target/release/switchboard registry build --out target/examples-registry/index.json \
      --component examples/webhook-channel/manifest.json={{ example_target }}/wasm32-wasip2/release/webhook_channel.wasm \
      --component examples/python-channel/manifest.json=target/examples/python/webhook_py.wasm \
      --component examples/js-channel/manifest.json=target/examples/js/webhook_js.wasm

# Build the Rust example with cargo-component (installed if missing), the way a
# channel author outside this repository usually does.
examples-cargo-component:
    scripts/ensure-tools --cargo-component
    cargo component build --release --locked --manifest-path {{ example_manifest }} --target-dir {{ example_target }}

# Run each channel's recorded cases with `switchboard channel test` (no daemon, no
# network): the first-party channels' own, and the shared webhook cases against the
# Rust, Python and JavaScript examples, which must behave the same.
cases:
    for c in {{ channels }}; do \
      target/release/switchboard channel test {{ wasm_dir }}/switchboard_channel_$c.wasm \
        --manifest registry/$c/manifest.json --cases channels/$c/cases; \
    done
    for e in webhook-channel={{ example_target }}/wasm32-wasip2/release/webhook_channel.wasm \
             python-channel=target/examples/python/webhook_py.wasm \
             js-channel=target/examples/js/webhook_js.wasm; do \
      target/release/switchboard channel test "${e#*=}" \
        --manifest "examples/${e%%=*}/manifest.json" --cases examples/webhook-channel/cases; \
    done

# Write target/registry/index.json for the freshly built channels.
index:
    target/release/switchboard registry build --out target/registry/index.json \
      $(for c in {{ channels }}; do printf -- '--component registry/%s/manifest.json={{ wasm_dir }}/switchboard_channel_%s.wasm ' "$c" "$c"; done)

# Build everything, install the first-party channels and run the daemon with the
# development config (dev.switchboard.toml).
run: build
    for c in {{ channels }}; do target/release/switchboard install "$c" --config dev.switchboard.toml --registry target/registry/index.json; done
    target/release/switchboard serve --config dev.switchboard.toml

# Run every test: unit, channel, and end-to-end tests through the real daemon (on
# SQLite, and on a throwaway PostgreSQL cluster), and a quick benchmark run.
test: build
    just cases
    # Against a throwaway PostgreSQL cluster, stopped and removed afterwards.
    scripts/postgres-test-cluster run cargo test --release --locked --workspace
    cargo test --release --locked --manifest-path {{ example_manifest }} --target-dir {{ example_target }}
    # The Python and JavaScript examples' own logic tests (standard library runners).
    python3 -m unittest discover --start-directory examples/python-channel --pattern 'test_*.py'
    node --test examples/js-channel/test/
    # The benchmark in quick mode, so it cannot rot; it asserts no time.
    cargo run --release --locked -p switchboard-bench -- run --quick

# What CI runs: the lints and the frozen-WIT check first (they take seconds to fail),
# then every test.
ci: lint test

# Formatting, lints and the frozen-WIT check, as CI judges them.
lint: setup
    scripts/check-wit
    cargo fmt --all --check
    cargo fmt --manifest-path {{ example_manifest }} --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy --manifest-path {{ example_manifest }} --target-dir {{ example_target }} --all-targets --locked -- -D warnings

# Format the code.
fmt:
    cargo fmt --all
    cargo fmt --manifest-path {{ example_manifest }}

# Benchmark the pipeline against this machine's limits (see BENCHMARKS.md), a few minutes.
bench: build
    cargo run --release --locked -p switchboard-bench -- run

# The benchmark in under a minute, so it cannot rot (no time is asserted).
bench-smoke: build
    cargo run --release --locked -p switchboard-bench -- run --quick
