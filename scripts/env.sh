# Shared setup for the project's scripts: sourced, never run.
# Installs what a fresh Debian/Ubuntu machine with Rust lacks, and points cargo at a build
# cache that survives between runs (RocksDB's C++ alone takes 10+ minutes to build).

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"

# RocksDB's bindings are generated with bindgen, which needs libclang at build time.
ensure_libclang() {
    if ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || ls /usr/lib/x86_64-linux-gnu/libclang*.so >/dev/null 2>&1; then
        return
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "==> installing libclang-dev (needed to build RocksDB)"
        apt-get install -y libclang-dev >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y libclang-dev >/dev/null; }
    else
        echo "error: libclang is missing; install it with: sudo apt-get install libclang-dev" >&2
        exit 1
    fi
}

# A Python venv with SpiceDB's official client, for the client test suite in tests/python.
ensure_python_venv() {
    PYTHON_VENV="${PYTHON_VENV:-$HOME/.cache/tessera/venv}"
    if [ ! -x "$PYTHON_VENV/bin/python" ]; then
        echo "==> creating the Python venv for the client tests in $PYTHON_VENV"
        if ! python3 -m venv "$PYTHON_VENV" 2>/dev/null; then
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
                apt-get install -y python3-venv >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y python3-venv >/dev/null; }
                python3 -m venv "$PYTHON_VENV"
            else
                echo "error: cannot create a Python venv; install it with: sudo apt-get install python3-venv" >&2
                exit 1
            fi
        fi
    fi
    "$PYTHON_VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    export PYTHON_VENV
}
