#!/usr/bin/env bash
# Install Calmline's pkg, check the installed app, uninstall, check nothing is left:
#   sudo installers/macos/check-install.sh dist/Calmline-0.1.0.pkg
# What the release workflow's macOS job runs on a real Mac, and what IT can run on a test
# Mac before a rollout.
set -euo pipefail
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: sudo $0 Calmline-VERSION.pkg" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
pkg=$1
app=/Applications/Calmline.app
cli=$app/Contents/MacOS/calmline-cli
agent=/Library/LaunchAgents/com.calmline.Calmline.login.plist
failures=0
check() {  # check WHAT COMMAND...
    local what=$1
    shift
    if "$@"; then echo "[pass] $what"; else echo "[FAIL] $what"; failures=$((failures + 1)); fi
}

echo "== install $pkg"
installer -pkg "$pkg" -target /
check "app installed" test -x "$cli"
check "login item installed" test -f "$agent"
check "third-party notices installed" test -f "$app/Contents/Resources/THIRD-PARTY-NOTICES.txt"
check "pkg receipt" pkgutil --pkg-info com.calmline.Calmline.pkg

echo "== self-test of the installed app"
home=$(mktemp -d)
check "installed calmline-cli --self-test" env CALMLINE_HOME="$home" QT_QPA_PLATFORM=offscreen "$cli" --self-test

echo "== the example configuration profile, read by the installed app as machine policy"
profile="$here/com.calmline.Calmline.example.mobileconfig"
doctor=$(env CALMLINE_HOME="$home" QT_QPA_PLATFORM=offscreen "$cli" doctor --policy "$profile" || true)
echo "$doctor"
check "sync.target is locked machine policy" grep -q 'sync.target = "https://calmline.example.com/api/records"  \[machine policy: .*, locked\]' <<<"$doctor"

echo "== uninstall (installers/macos/uninstall.sh, as documented)"
"$here/uninstall.sh"
check "app removed" test ! -e "$app"
check "login item removed" test ! -e "$agent"
check "receipt forgotten" sh -c '! pkgutil --pkg-info com.calmline.Calmline.pkg >/dev/null 2>&1'
rm -rf "$home"

if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all install checks passed"
