#!/usr/bin/env bash
# Installs the bundle built by build.sh for the current user: ~/.local/opt/photohash, a `photohash`
# command in ~/.local/bin, the icon and the applications-menu entry. Run again to update;
# `packaging/install.sh --uninstall` removes them (your catalog and settings stay).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-$HOME/.local}
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$PREFIX/opt/photohash" "$PREFIX/bin/photohash" "$DATA/applications/photohash.desktop"
    rm -f "$DATA"/icons/hicolor/*/apps/photohash.png
    echo "removed PhotoHash (your catalog and settings are kept)"
    exit 0
fi
[ -x dist/photohash/photohash ] || { echo "build it first: packaging/build.sh" >&2; exit 1; }
mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$DATA/applications"
rm -rf "$PREFIX/opt/photohash"
cp -a dist/photohash "$PREFIX/opt/photohash"
ln -sf "$PREFIX/opt/photohash/photohash" "$PREFIX/bin/photohash"
for size in 16 32 48 64 128 256; do
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "resources/icons/photohash-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/photohash.png"
done
sed "s|^Exec=photohash|Exec=$PREFIX/bin/photohash|" packaging/photohash.desktop > "$DATA/applications/photohash.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" || true
echo "installed: $PREFIX/bin/photohash and PhotoHash in the applications menu"
