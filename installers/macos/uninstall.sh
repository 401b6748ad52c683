#!/usr/bin/env bash
# Remove Calmline from a Mac (run as root, e.g. through your MDM or `sudo`):
#   installers/macos/uninstall.sh
# Removes the app, the login item and the installer's receipt. Each agent's own data
# (~/Library/Application Support/Calmline) and the team's store are left alone.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    echo "$0: run as root (sudo $0)" >&2
    exit 2
fi
agent=/Library/LaunchAgents/com.calmline.Calmline.login.plist
rm -rf /Applications/Calmline.app
rm -f "$agent"
if pkgutil --pkg-info com.calmline.Calmline.pkg >/dev/null 2>&1; then
    pkgutil --forget com.calmline.Calmline.pkg >/dev/null
fi
echo "Calmline removed (agents' own data kept)"
