#!/usr/bin/env bash
# Prepares a Debian 12 machine for spice-console's tests and demo: installs the
# Debian packages of the real-server testbed (Xspice, the vdagent pair, QEMU and
# the guest kernel, spice-gtk's spicy-screenshot, Chromium, protocol headers,
# GStreamer codecs, websockify, nginx), installs the npm dependencies (`npm ci`), and
# builds the cached test guest (scripts/build-guest.sh). Each phase prints how
# long it took.
#
# Usage: scripts/setup.sh [--no-apt] [--no-npm] [--no-guest]
# Needs root (or sudo) for apt-get. Packages already installed are not
# reinstalled, and `apt-get update` is skipped when nothing is missing.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

do_apt=1 do_npm=1 do_guest=1
for arg in "$@"; do
  case $arg in
    --no-apt) do_apt=0 ;;
    --no-npm) do_npm=0 ;;
    --no-guest) do_guest=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# The testbed (see the project's testbed notes): every package the tests or the demo use.
PACKAGES=(
  # X desktop served over SPICE
  xserver-xspice xfonts-base x11-apps xterm x11-xserver-utils x11-utils xdotool spice-vdagent
  # the guest clipboard in agent tests (xclip sets and reads the X clipboard)
  xclip
  # virtual machines and the tiny guest
  qemu-system-x86 linux-image-amd64 busybox-static cpio kmod
  # reference client / screenshots, pictures
  spice-client-gtk imagemagick
  # browser for browser tests and the demo
  chromium
  # the second browser: Firefox ESR runs the browser layer and the core e2e tests (driven over WebDriver BiDi)
  firefox-esr
  # protocol headers to read; the C compiler and libraries the comparison tests build against
  # (test/unit/usb/*libusbredir*: libusbredirparser; the STROKE scene's Xlib program: libx11)
  libspice-protocol-dev libusbredirparser-dev gcc libc6-dev pkg-config libx11-dev
  # video stream codecs for spice-server and spice-gtk
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # the WebSocket proxy deployments put in front of SPICE, and the TLS front end deploy/nginx configures
  # (the e2e test runs it with a self-signed certificate made by openssl)
  websockify nginx-light openssl
  # tools the harness itself calls (ps/pgrep, https for npm)
  procps ca-certificates
)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
phase() {
  local name=$1; shift
  local t0; t0=$(now)
  echo "==> $name"
  "$@"
  echo "<== $name: $(elapsed "$t0") s"
}

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup.sh: need root (or sudo) for: $*" >&2; return 1
  fi
}

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

apt_install() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} == 0 ]]; then
    echo "all ${#PACKAGES[@]} Debian packages already installed"
    return
  fi
  echo "installing ${#missing[@]} packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

check_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "setup.sh: Node.js >= 20 with npm is required (Debian 12's own nodejs is 18; use the CI image's Node or NodeSource)" >&2
    return 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if (( major < 20 )); then
    echo "setup.sh: Node.js $(node --version) found, >= 20 required" >&2
    return 1
  fi
  echo "node $(node --version), npm $(npm --version)"
}

npm_install() {
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund
  else npm install --no-audit --no-fund
  fi
}

build_guest() {
  bash scripts/build-guest.sh >/dev/null
}

total0=$(now)
if (( do_apt )); then phase "apt packages" apt_install; fi
if (( do_npm )); then
  phase "node check" check_node
  phase "npm ci" npm_install
fi
if (( do_guest )); then phase "test guest (scripts/build-guest.sh)" build_guest; fi
echo "setup.sh done in $(elapsed "$total0") s"
