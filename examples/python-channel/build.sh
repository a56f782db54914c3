#!/usr/bin/env bash
# Builds the Python example channel into a component with componentize-py:
#
#   examples/python-channel/build.sh OUT.wasm      (from the repository root)
#
# componentize-py comes from PyPI, pinned, into a virtual environment under
# target/tools/python on first use; later runs reuse it, and skip the build when OUT
# is newer than every input. Nothing is written outside the repository except OUT.
set -euo pipefail

# The newest componentize-py whose components the host's wasmtime runs (checked with
# the e2e tests). Its CPython (3.14) is what runs app.py inside the component.
COMPONENTIZE_PY_VERSION=0.25.1
WIT=wit/channel@0.2.1
WORLD=minimal
APP_DIR=examples/python-channel
TOOLS=target/tools/python

fail() {
    echo "error: $APP_DIR/build.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] && [ -n "$1" ] || fail "usage: $APP_DIR/build.sh OUT.wasm (run from the repository root)"
out=$1
[ -f "$WIT/channel.wit" ] && [ -f "$APP_DIR/app.py" ] ||
    fail "run from the repository root: $WIT/channel.wit or $APP_DIR/app.py is not here ($(pwd))"

componentize_py="$TOOLS/bin/componentize-py"
installed_version() {
    "$componentize_py" --version 2>/dev/null | awk '{ print $2 }'
}

if [ "$(installed_version || true)" != "$COMPONENTIZE_PY_VERSION" ]; then
    command -v python3 >/dev/null || fail "python3 is needed to install componentize-py; install Python 3.9 or newer"
    if [ ! -x "$TOOLS/bin/python" ]; then
        echo "creating a virtual environment in $TOOLS" >&2
        python3 -m venv "$TOOLS" ||
            fail "python3 -m venv $TOOLS failed; install Python's venv module (Debian/Ubuntu: apt install python3-venv)"
    fi
    echo "installing componentize-py $COMPONENTIZE_PY_VERSION from PyPI into $TOOLS" >&2
    # No pip cache: it would live in the home directory, outside the repository. Only
    # a wheel: building componentize-py from source needs a Rust toolchain and minutes.
    "$TOOLS/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check \
        --only-binary componentize-py "componentize-py==$COMPONENTIZE_PY_VERSION" ||
        fail "pip could not install componentize-py==$COMPONENTIZE_PY_VERSION (is PyPI reachable? is there a wheel for $(uname -sm)?)"
    [ "$(installed_version || true)" = "$COMPONENTIZE_PY_VERSION" ] ||
        fail "$componentize_py does not report version $COMPONENTIZE_PY_VERSION after installing it"
fi

# The component is what app.py and the modules it imports make of the WIT world;
# the unit tests are not part of it.
inputs=("$WIT/channel.wit" "$APP_DIR/build.sh" "$componentize_py")
for source in "$APP_DIR"/*.py; do
    case "$(basename "$source")" in test_*) ;; *) inputs+=("$source") ;; esac
done
if [ -f "$out" ] && [ -z "$(find "${inputs[@]}" -newer "$out" -print -quit)" ]; then
    echo "$out is up to date" >&2
    exit 0
fi

mkdir -p "$(dirname "$out")"
# Written next to OUT and renamed into place, so a failed build never leaves a
# truncated component behind for the registry index to pick up.
partial=$(mktemp "$out.partial.XXXXXX")
trap 'rm -f "$partial"' EXIT
"$componentize_py" --quiet -d "$WIT" -w "$WORLD" componentize -p "$APP_DIR" app -o "$partial" ||
    fail "componentize-py could not build $APP_DIR/app.py (its message is above)"
chmod 644 "$partial"
mv -f "$partial" "$out"
trap - EXIT
echo "built $out ($(wc -c <"$out") bytes)" >&2
