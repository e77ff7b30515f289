#!/usr/bin/env bash
# Turn the bundle (dist/nnstudio, from build.sh) into a Debian package with dpkg-deb.
#
#   packaging/build_deb.sh [--bundle DIR] [--out DIR] [--compress gzip|xz|zstd|none] [--python PY]
#
# Layout: /opt/nnstudio (the bundle), /usr/bin/nnstudio (a wrapper), the .desktop entry in
# /usr/share/applications, the icon in /usr/share/icons/hicolor, the AppStream metadata in
# /usr/share/metainfo and the project file type in /usr/share/mime/packages.  No maintainer
# scripts: the desktop, icon and MIME caches are refreshed by those packages' dpkg triggers,
# so removing the package leaves nothing behind.  Prints the path of the .deb last.
set -euo pipefail
cd "$(dirname "$0")/.."
APP_ID=io.github.nnstudio.NNStudio
BUNDLE=dist/nnstudio
OUT=dist
COMPRESS=gzip
PY="${PYTHON:-python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --bundle) BUNDLE="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --compress) COMPRESS="${2:?}"; shift 2 ;;
        --python) PY="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "build_deb.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$BUNDLE/nnstudio" ] || { echo "build_deb.sh: no bundle at $BUNDLE (run build.sh)" >&2; exit 1; }
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' nnstudio/__init__.py)
ARCH=$(dpkg --print-architecture)
STAGE=build/deb/nnstudio_${VERSION}_${ARCH}
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/metainfo" "$STAGE/usr/share/mime/packages" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/doc/nnstudio"
# Hard links when the bundle is on the same file system (quick); a copy otherwise.
cp -al "$BUNDLE" "$STAGE/opt/nnstudio" 2>/dev/null ||
    { rm -rf "$STAGE/opt/nnstudio"; cp -a "$BUNDLE" "$STAGE/opt/nnstudio"; }

# The command: resolves its own location, so it also works inside a scratch root.
cat > "$STAGE/usr/bin/nnstudio" <<'SH'
#!/bin/sh
here=$(dirname "$(readlink -f "$0")")
exec "$here/../../opt/nnstudio/nnstudio" "$@"
SH
chmod 0755 "$STAGE/usr/bin/nnstudio"

install -m 0644 "packaging/$APP_ID.desktop" "$STAGE/usr/share/applications/"
install -m 0644 "packaging/$APP_ID.metainfo.xml" "$STAGE/usr/share/metainfo/"
install -m 0644 "packaging/$APP_ID.mime.xml" "$STAGE/usr/share/mime/packages/$APP_ID.xml"
install -m 0644 resources/icons/app.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
if "$PY" packaging/render_icon.py build/icon 256 48 128 >/dev/null 2>&1; then
    for s in 48 128 256; do
        install -D -m 0644 "build/icon/${s}x${s}/$APP_ID.png" \
            "$STAGE/usr/share/icons/hicolor/${s}x${s}/apps/$APP_ID.png"
    done
else
    echo "build_deb.sh: no PNG icons (PySide6 with QtSvg not found by $PY); SVG only" >&2
fi
cat > "$STAGE/usr/share/doc/nnstudio/copyright" <<TXT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: NN Studio
License: MIT
Comment: /opt/nnstudio bundles Python, Qt (LGPL-3), TensorFlow (Apache-2.0) and other
 libraries; their licences are in the wheels' metadata inside /opt/nnstudio/_internal.
TXT

SIZE_KB=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
# The newest glibc symbol version any bundled binary needs; the rest of the libraries
# (Qt's xcb dependencies included) are in the bundle, found with ldd when this was written.
GLIBC=$({ find "$STAGE/opt" -type f \( -name "*.so*" -o -name nnstudio \) \
    -exec objdump -T {} + 2>/dev/null || true; } | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
    sort -uV | tail -n 1 || true)
GLIBC=${GLIBC:-2.28}
cat > "$STAGE/DEBIAN/control" <<TXT
Package: nnstudio
Version: $VERSION
Architecture: $ARCH
Maintainer: NN Studio developers <nnstudio@users.noreply.github.com>
Installed-Size: $SIZE_KB
Depends: libc6 (>= $GLIBC), libgl1, libegl1, libxcb1, libdrm2, libwayland-client0
Recommends: fonts-dejavu-core | fonts-liberation2
Section: science
Priority: optional
Description: design, train and export neural networks visually
 NN Studio is a desktop app: drag layers onto a canvas and wire them into a
 network, train it on CSV, image or NumPy files with live plots, and export it
 to .keras, SavedModel, TFLite, ONNX or Python. The nnstudio command also
 trains and exports headless. Bundles Python, Qt and TensorFlow (CPU).
TXT
find "$STAGE" -type d -exec chmod 0755 {} +
mkdir -p "$OUT"
DEB="$OUT/nnstudio_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Z"$COMPRESS" --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
