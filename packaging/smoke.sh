#!/usr/bin/env bash
# Smoke test of the desktop bundle and the Debian package (slow, Linux only, not part of CI).
#
#   packaging/smoke.sh [--bundle DIR] [--python PY] [--with jax|torch]
#
# Builds dist/nnstudio with build.sh (or takes DIR with --bundle), then: starts the bundle
# under Xvfb and waits for its window; trains the digits example for one epoch and exports
# it with the bundled program; builds the .deb, validates its desktop entry and AppStream
# metadata, installs it into a scratch root with dpkg --root, runs the installed command,
# removes it and checks nothing is left.  Prints PASS/FAIL per step; exit 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BUNDLE=""
PY="${PYTHON:-python}"
BUILD_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bundle) BUNDLE="${2:?}"; shift 2 ;;
        --python) PY="${2:?}"; shift 2 ;;
        --with) BUILD_ARGS+=(--with "${2:?}"); shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "smoke.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nnstudio-smoke.XXXXXX")
FAILED=0
XVFB_PID=""
APP_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
# Keep the user's settings, autosave files and caches out of it.
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_DATA_HOME="$TMP/home/.local/share"
export XDG_CACHE_HOME="$TMP/home/.cache" NNSTUDIO_DATA_DIR="$TMP/data" TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$HOME" "$NNSTUDIO_DATA_DIR"

step() {  # step NAME COMMAND...: run it, log to $TMP/NAME.log, print PASS/FAIL and the time
    local name=$1 start=$SECONDS
    shift
    if "$@" >"$TMP/$name.log" 2>&1; then
        echo "PASS  $name ($((SECONDS - start)) s)"
    else
        echo "FAIL  $name ($((SECONDS - start)) s); last lines:"
        tail -n 15 "$TMP/$name.log" | sed 's/^/      /'
        FAILED=1
    fi
}

build() { packaging/build.sh --python "$PY" "${BUILD_ARGS[@]}"; }
if [ -z "$BUNDLE" ]; then
    step build build
    BUNDLE=dist/nnstudio
fi
BUNDLE=$(cd "$BUNDLE" && pwd)
APP="$BUNDLE/nnstudio"
echo "      bundle: $BUNDLE, $(du -sk "$BUNDLE" | awk '{printf "%.0f MB", $1 * 1.024 / 1000}')"

version() { "$APP" --version; }
step version version

window() {  # the main window maps on a virtual X screen within 90 s
    local display=:$((90 + RANDOM % 100))
    Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
    XVFB_PID=$!
    sleep 2
    DISPLAY=$display QT_QPA_PLATFORM=xcb "$APP" >"$TMP/app.log" 2>&1 &
    APP_PID=$!
    local line id
    for _ in $(seq 90); do
        # The main window: title "... NN Studio", WM_CLASS ("nnstudio" ...), and mapped (Qt's
        # 1x1 group leader window has the title too but no class).
        line=$(DISPLAY=$display xwininfo -root -tree | grep -E '"[^"]*NN Studio": \("nnstudio"' |
            head -n 1)
        id=${line%% \"*}
        if [ -n "$line" ] && DISPLAY=$display xwininfo -id $id | grep -q 'IsViewable'; then
            echo "$line"
            kill "$APP_PID"; wait "$APP_PID" 2>/dev/null; APP_PID=""
            return 0
        fi
        kill -0 "$APP_PID" 2>/dev/null || { echo "the app exited:"; cat "$TMP/app.log"; return 1; }
        sleep 1
    done
    echo "no NN Studio window after 90 s"; cat "$TMP/app.log"; return 1
}
step window window
grep 'NN Studio' "$TMP/window.log" | sed 's/^ */      /'
[ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null; XVFB_PID=""

# The example with its samples, copied so runs and exports land in the scratch folder.
mkdir -p "$TMP/work/examples" "$TMP/work/samples"
cp "$REPO/resources/examples/digits_cnn.nnstudio" "$TMP/work/examples/"
cp -r "$REPO/resources/samples/digits" "$TMP/work/samples/"
PROJECT="$TMP/work/examples/digits_cnn.nnstudio"
train() { "$APP" train "$PROJECT" --epochs 1 --quiet; }
step train train
tail -n 2 "$TMP/train.log" | sed 's/^/      /'
export_all() {
    "$APP" export "$PROJECT" -f keras,savedmodel,tflite,onnx,python -o "$TMP/work/export" &&
        ls "$TMP/work/export"
}
step export export_all
grep -E '^  [a-z-]+ ' "$TMP/export.log" | sed 's/^/    /'

DEB=""
deb() {  # uncompressed by default: compressing 1 GB takes minutes (SMOKE_DEB_COMPRESS=gzip)
    packaging/build_deb.sh --bundle "$BUNDLE" --out "$TMP/deb" --python "$PY" \
        --compress "${SMOKE_DEB_COMPRESS:-none}"
}
step deb deb
DEB=$(ls "$TMP"/deb/*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] && echo "      package: $(basename "$DEB"), $(du -k "$DEB" | awk '{printf "%.0f MB", $1 * 1.024 / 1000}')"
STAGE=$(ls -d build/deb/nnstudio_* 2>/dev/null | head -n 1)
desktop_valid() { desktop-file-validate "$STAGE/usr/share/applications/"*.desktop; }
appstream_valid() {
    appstreamcli validate --no-net --explain "$STAGE/usr/share/metainfo/"*.xml &&
        appstreamcli validate-tree --no-net "$STAGE"
}
if command -v desktop-file-validate >/dev/null; then step desktop-file-validate desktop_valid
else echo "SKIP  desktop-file-validate (apt-get install desktop-file-utils)"; fi
if command -v appstreamcli >/dev/null; then step appstreamcli appstream_valid
else echo "SKIP  appstreamcli (apt-get install appstream)"; fi

ROOT="$TMP/root"
DPKG=(dpkg --root="$ROOT" --log=/dev/null --force-not-root --force-depends)
snapshot() { (cd "$ROOT" && find . -path ./var/lib/dpkg -prune -o -print | sort); }
deb_install() {
    mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers"
    touch "$ROOT/var/lib/dpkg/status" "$ROOT/var/lib/dpkg/available"
    snapshot >"$TMP/before.txt"
    "${DPKG[@]}" -i "$DEB" || return 1
    for f in opt/nnstudio/nnstudio usr/bin/nnstudio \
        usr/share/applications/io.github.nnstudio.NNStudio.desktop \
        usr/share/metainfo/io.github.nnstudio.NNStudio.metainfo.xml \
        usr/share/icons/hicolor/scalable/apps/io.github.nnstudio.NNStudio.svg \
        usr/share/icons/hicolor/256x256/apps/io.github.nnstudio.NNStudio.png; do
        [ -e "$ROOT/$f" ] || { echo "missing after install: /$f"; return 1; }
    done
    "$ROOT/usr/bin/nnstudio" --version && "$ROOT/usr/bin/nnstudio" info >/dev/null
}
deb_remove() {
    "${DPKG[@]}" --purge nnstudio || return 1
    snapshot >"$TMP/after.txt"
    diff "$TMP/before.txt" "$TMP/after.txt" && echo "nothing left behind"
}
step deb-install deb_install
grep -E '^(Setting up|nnstudio [0-9])' "$TMP/deb-install.log" | sed 's/^/      /'
step deb-remove deb_remove
grep -E '^(Removing|Purging|nothing left)' "$TMP/deb-remove.log" | sed 's/^/      /'

if [ "$FAILED" = 0 ]; then echo "smoke: all steps passed"; else echo "smoke: FAILED"; fi
exit "$FAILED"
