#!/usr/bin/env bash
# Install the system packages sinkmap's outputs need, only when they are missing.
#   tools/sysdeps.sh venv     python3 -m venv works (Debian: python3-venv)
#   tools/sysdeps.sh pdf      Pango (WeasyPrint) and a CJK font (Noto Sans CJK SC)
#   tools/sysdeps.sh browser  headless Chromium for the map tests
#   tools/sysdeps.sh qgis     QGIS's Python bindings for Debian's python3 (python3-qgis, ≈ 230 MB):
#                             the test that opens survey.gpkg in QGIS
set -euo pipefail

APT_UPDATED=""
apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "sysdeps: need root to install: $* (run: apt-get install -y $*)" >&2; exit 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "sysdeps: no apt-get here; install these yourself: $*" >&2; exit 1
    fi
    echo "sysdeps: installing $* (apt-get)" >&2
    if [ -z "$APT_UPDATED" ]; then $sudo apt-get update -qq >/dev/null; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_venv() {
    local py="${PYTHON:-python3}"
    "$py" -c "import ensurepip, venv" 2>/dev/null || apt_install python3-venv
}

need_pdf() {
    ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so" || apt_install libpango-1.0-0 libpangoft2-1.0-0
    # HarfBuzz subsetting: fast font subsets with stable bytes (WeasyPrint otherwise uses fontTools)
    ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" || apt_install libharfbuzz-subset0
    command -v fc-list >/dev/null 2>&1 || apt_install fontconfig
    fc-list ":lang=zh-cn" family 2>/dev/null | grep -qi "Noto Sans CJK" || apt_install fonts-noto-cjk
}

need_browser() {
    command -v chromium >/dev/null 2>&1 || apt_install chromium
}

need_qgis() {
    /usr/bin/python3 -c "import qgis.core" 2>/dev/null || apt_install python3-qgis
}

for what in "$@"; do
    case "$what" in
        venv) need_venv ;;
        pdf) need_pdf ;;
        browser) need_browser ;;
        qgis) need_qgis ;;
        *) echo "sysdeps: unknown target '$what'" >&2; exit 2 ;;
    esac
done
