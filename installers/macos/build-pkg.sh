#!/usr/bin/env bash
# Build, sign, notarize and staple Calmline's macOS installer, on a Mac with Xcode's
# command-line tools and the project's .venv (make setup):
#   installers/macos/build-pkg.sh [OUTPUT.pkg]
# Signing is optional for a local test build; for deployment set:
#   APP_IDENTITY   "Developer ID Application: Example Call Center (TEAMID)"
#   PKG_IDENTITY   "Developer ID Installer: Example Call Center (TEAMID)"
#   NOTARY_PROFILE a profile saved with `xcrun notarytool store-credentials`
# The pkg installs /Applications/Calmline.app and the login item
# /Library/LaunchAgents/com.calmline.Calmline.login.plist (see docs/deploying.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-"$root/.venv/bin/python"}
version=$("$python" "$root/installers/version.py")
out=${1:-"$root/dist/Calmline-$version.pkg"}

if [ "$(uname -s)" != Darwin ]; then
    echo "$0: pkgbuild and codesign exist only on macOS" >&2
    exit 2
fi

echo "== bundle (PyInstaller)"
"$python" -m PyInstaller --noconfirm --clean \
    --distpath "$root/dist" --workpath "$root/build/pyinstaller" \
    "$root/installers/pyinstaller/calmline.spec"
app="$root/dist/Calmline.app"

echo "== self-test of the bundle"
"$app/Contents/MacOS/calmline-cli" --self-test

echo "== third-party notices (inside the app, so the pkg ships them) and the SBOM"
"$python" "$root/installers/notices.py" "$root/dist/Calmline"
"$python" "$root/installers/sbom.py" "$root/dist/Calmline" "$root/dist/Calmline-$version-macos-sbom.cdx.json"
cp "$root/dist/Calmline/THIRD-PARTY-NOTICES.txt" "$root/dist/Calmline/LICENSE.txt" "$app/Contents/Resources/"

if [ -n "${APP_IDENTITY:-}" ]; then
    echo "== codesign (hardened runtime), inside out"
    find "$app/Contents" -type f \( -name '*.so' -o -name '*.dylib' \) -print0 \
        | xargs -0 codesign --force --timestamp --options runtime --sign "$APP_IDENTITY"
    for exe in calmline-cli Calmline; do
        codesign --force --timestamp --options runtime \
            --entitlements "$here/entitlements.plist" --sign "$APP_IDENTITY" \
            "$app/Contents/MacOS/$exe"
    done
    codesign --force --timestamp --options runtime \
        --entitlements "$here/entitlements.plist" --sign "$APP_IDENTITY" "$app"
    codesign --verify --strict --verbose=2 "$app"
else
    echo "== APP_IDENTITY not set: the app is NOT signed (test build only)"
fi

echo "== pkg"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/root/Applications" "$stage/root/Library/LaunchAgents"
ditto "$app" "$stage/root/Applications/Calmline.app"
cp "$here/com.calmline.Calmline.login.plist" "$stage/root/Library/LaunchAgents/"
chmod 644 "$stage/root/Library/LaunchAgents/com.calmline.Calmline.login.plist"
pkgbuild --root "$stage/root" --identifier com.calmline.Calmline.pkg \
    --version "$version" --install-location / "$stage/Calmline-component.pkg"
mkdir -p "$(dirname "$out")"
if [ -n "${PKG_IDENTITY:-}" ]; then
    productbuild --package "$stage/Calmline-component.pkg" --sign "$PKG_IDENTITY" "$out"
else
    echo "== PKG_IDENTITY not set: the pkg is NOT signed (test build only)"
    productbuild --package "$stage/Calmline-component.pkg" "$out"
fi

if [ -n "${NOTARY_PROFILE:-}" ]; then
    echo "== notarize and staple"
    xcrun notarytool submit "$out" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$out"
    xcrun stapler validate "$out"
else
    echo "== NOTARY_PROFILE not set: not notarized (Gatekeeper will refuse it on other Macs)"
fi
echo "built $out (Calmline $version)"
