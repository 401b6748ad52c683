#!/usr/bin/env bash
# Build the Calmline MSI with wixl (msitools) from a staged one-dir bundle.
#   installers/windows/build-msi.sh BUNDLE_DIR OUTPUT.msi
# BUNDLE_DIR is PyInstaller's dist/Calmline of a Windows build (Calmline.exe,
# calmline-cli.exe, _internal/). On a Windows build machine use build.ps1 (WiX v3).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BUNDLE_DIR OUTPUT.msi" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=$(cd "$1" && pwd)
out=$(realpath -m "$2")

for tool in wixl wixl-heat msibuild; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found; install msitools and wixl" >&2; exit 2; }
done
if [ ! -f "$bundle/Calmline.exe" ]; then
    echo "$0: $bundle/Calmline.exe not found; give the dist/Calmline folder of a Windows build" >&2
    exit 2
fi

python=${PYTHON:-python3}
version=$("$python" "$root/installers/version.py")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every file of the bundle becomes a component under INSTALLDIR.
name=$(basename "$bundle")
(cd "$bundle/.." && find "$name" -type f | sort) \
    | wixl-heat --prefix "$name/" --directory-ref INSTALLDIR --component-group CG.Bundle \
        --var var.SourceDir --win64 > "$work/bundle.wxs"
# wixl ignores Property/@Secure and drops a property with no value; it writes
# SecureCustomProperties for MajorUpgrade only. Add the public properties there, as
# WiX v3 does, so they reach an elevated (UAC or SYSTEM) install.
secure=$(sed -n 's|^ *<Property Id="\([A-Z_]*\)" Secure="yes" />$|\1|p' "$here/Calmline.wxs" | paste -sd';')
# wixl wants a relative SourceDir: build from inside the bundle.
(cd "$bundle" && wixl -a x64 -D Win64=yes -D Version="$version" -D SourceDir=. \
    -o "$out" "$here/Calmline.wxs" "$work/bundle.wxs" 2> >(grep -v "has no property named 'Secure'" >&2))
msibuild "$out" -q "UPDATE \`Property\` SET \`Value\` = '$secure;WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED' WHERE \`Property\` = 'SecureCustomProperties'"
echo "built $out (Calmline $version)"
