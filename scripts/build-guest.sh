#!/usr/bin/env bash
# Builds the tiny test guest used by the end-to-end tests: a Debian kernel
# (/boot/vmlinuz-<ver> from linux-image-amd64) plus an initramfs made of
# busybox-static and the few kernel modules the tests need (virtio console for
# the SPICE agent port, EHCI/UHCI and xHCI for usb-redir, qxl, cdc-acm, usbhid,
# usb-storage and sd_mod for the mass-storage test), with
# their dependencies resolved by `modprobe -S <ver> --show-depends`.
#
# Its /init reports to the serial console (see the heredoc below for the exact
# line formats): "GUEST READY", "AGENT: <hex>" for every chunk read from the
# agent port, "USBDEV ..." once a second per USB device, and the CDC-ACM
# loopback result lines "ACM ...", and the USB disk test lines "MSC ...".
#
# Output is cached in <repo>/.cache/guest/<kernel-version>-<script-hash>/ and
# the script prints two lines on stdout:  KERNEL=<path>  and  INITRD=<path>.
# Environment: GUEST_KERNEL_VERSION (default: newest /boot/vmlinuz-* that has
# /lib/modules/<ver>), GUEST_CACHE_DIR (default <repo>/.cache/guest),
# GUEST_REBUILD=1 to ignore the cache.
set -euo pipefail

script_path=$(readlink -f "${BASH_SOURCE[0]}")
repo_root=$(cd "$(dirname "$script_path")/.." && pwd)
cache_root=${GUEST_CACHE_DIR:-$repo_root/.cache/guest}

log() { echo "build-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

PATH=$PATH:/usr/sbin:/sbin

# ---- pick the kernel -------------------------------------------------------
kver=${GUEST_KERNEL_VERSION:-}
if [[ -z $kver ]]; then
  for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V -r); do
    if [[ -d /lib/modules/$k/kernel ]]; then kver=$k; break; fi
  done
fi
[[ -n $kver ]] || die "no /boot/vmlinuz-<ver> with /lib/modules/<ver> (install linux-image-amd64)"
[[ -r /boot/vmlinuz-$kver ]] || die "/boot/vmlinuz-$kver is missing or unreadable"

script_hash=$(cat "$script_path" "$repo_root/scripts/guest/fbpattern.c" | sha256sum | cut -c1-16)
out_dir=$cache_root/$kver-$script_hash
if [[ -z ${GUEST_REBUILD:-} && -s $out_dir/initrd.img && -s $out_dir/vmlinuz ]]; then
  echo "KERNEL=$out_dir/vmlinuz"
  echo "INITRD=$out_dir/initrd.img"
  exit 0
fi

# ---- tools -------------------------------------------------------------------
busybox_bin=
for b in /bin/busybox /usr/bin/busybox; do [[ -x $b ]] && { busybox_bin=$b; break; }; done
[[ -n $busybox_bin ]] || die "busybox not found (install busybox-static)"
if ldd "$busybox_bin" >/dev/null 2>&1; then
  die "$busybox_bin is dynamically linked; install busybox-static"
fi
for t in cpio depmod modprobe gzip; do
  command -v "$t" >/dev/null || die "$t not found (install cpio kmod)"
done

start=$(date +%s.%N)
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib/modules/"$kver"}

# ---- busybox ----------------------------------------------------------------
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [[ $applet == busybox ]] && continue
  ln -sf busybox "$root/bin/$applet"
done
# fbpattern (scripts/guest/fbpattern.c): the multi-monitor tests' framebuffer writer, linked statically.
if command -v gcc >/dev/null; then
  gcc -static -O2 -o "$root/bin/fbpattern" "$repo_root/scripts/guest/fbpattern.c" || log "warning: fbpattern did not build (fbpattern=1 will do nothing)"
else
  log "warning: no gcc: fbpattern not built (fbpattern=1 will do nothing)"
fi
# Device nodes the kernel wants before /init runs (only possible as root; /init
# re-opens /dev/console after mounting devtmpfs anyway).
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

# ---- kernel modules -----------------------------------------------------------
modules=(virtio_pci virtio_console ehci-pci uhci-hcd xhci-pci qxl cdc_acm usbhid usb-storage sd_mod)
: > "$root/etc/modules.order"
for m in "${modules[@]}"; do
  deps=$(modprobe -S "$kver" --show-depends "$m" 2>&1) || die "modprobe --show-depends $m: $deps"
  while read -r kind path _; do
    [[ $kind == insmod ]] || continue      # "builtin <name>" lines need nothing
    rel=${path#/lib/modules/$kver/}
    if [[ ! -e $root/lib/modules/$kver/$rel ]]; then
      mkdir -p "$(dirname "$root/lib/modules/$kver/$rel")"
      cp "$path" "$root/lib/modules/$kver/$rel"
      # busybox insmod/modprobe cannot always read compressed modules: unpack.
      case $rel in
        *.ko.xz)  xz -d "$root/lib/modules/$kver/$rel";   rel=${rel%.xz} ;;
        *.ko.zst) zstd -q -d --rm "$root/lib/modules/$kver/$rel"; rel=${rel%.zst} ;;
        *.ko.gz)  gzip -d "$root/lib/modules/$kver/$rel"; rel=${rel%.gz} ;;
      esac
      echo "/lib/modules/$kver/$rel" >> "$root/etc/modules.order"
    fi
  done <<< "$deps"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [[ -e /lib/modules/$kver/$f ]] && cp "/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
done
depmod -b "$root" "$kver"
printf '%s\n' "${modules[@]}" > "$root/etc/modules"

# ---- the ACM test pattern: bytes 0..255 -------------------------------------
for ((i = 0; i < 256; i++)); do printf "\\$(printf '%03o' "$i")"; done > "$root/etc/acm-pattern"
[[ $(stat -c %s "$root/etc/acm-pattern") == 256 ]] || die "acm pattern is not 256 bytes"

# ---- the USB disk test's block: "spice-console msc test block\n" repeated, 512 bytes --------
msc_line=$(printf 'spice-console msc test block\n%.0s' {1..18})
printf '%s' "${msc_line:0:512}" > "$root/etc/msc-block"
[[ $(stat -c %s "$root/etc/msc-block") == 512 ]] || die "msc block is not 512 bytes"

# ---- the agent port's life and the stand-in agent -----------------------------
cat > "$root/etc/agent-life.sh" <<'LIFE'
#!/bin/sh
# agent-life.sh <dev> <standin 0|1> <restart after N DISPLAY_CONFIGs, 0 = never>
dev=$1; standin=$2; restart=$3
say() {
  while ! mkdir /tmp/lock/console 2>/dev/null; do usleep 5000; done
  if [ $# -gt 0 ]; then echo "$*"; else cat; fi
  rmdir /tmp/lock/console
}
exec 3<>"$dev"
rm -f /tmp/agent.stop
touch /tmp/agent.open
say "GUEST AGENT-OPEN $dev"
reader() {
  while [ ! -e /tmp/agent.stop ]; do
    dd bs=4096 count=1 <&3 >/tmp/agent.chunk 2>/dev/null &
    echo $! > /tmp/agent.ddpid
    wait $!
    if [ -s /tmp/agent.chunk ]; then
      # to the console (stdout may be the pipe into the stand-in)
      xxd -p -c 32 /tmp/agent.chunk | sed 's/^/AGENT: /' | say >/dev/console
      [ "$standin" = 1 ] && xxd -p -c 4096 /tmp/agent.chunk
    else
      usleep 200000   # host side closed: reads return 0 at once
    fi
  done
}
if [ "$standin" != 1 ]; then reader; exit 0; fi
# An agent that starts announces its capabilities and asks for the client's:
# MONITORS_CONFIG, REPLY, DISPLAY_CONFIG, FILE_XFER_DETAILED_ERRORS (0x4016), request=1.
# Every write to the port is a VDIChunkHeader (port 1 = VDP_CLIENT_PORT, size) and that many bytes.
echo 010000001c000000 01000000060000000000000000000000080000000100000016400000 | tr -d ' ' | xxd -r -p >&3
reader | awk -v RESTART="$restart" -f /etc/agent-standin.awk | while read -r cmd rest; do
  case $cmd in
    SEND) echo "$rest" | xxd -r -p >&3 ;;
    SAY) say "STANDIN $rest" ;;
    DONE)
      set -- $rest
      say "STANDIN XFER DONE id=$1 size=$(xxd -r -p "/tmp/xfer-$1.hex" | wc -c) md5=$(xxd -r -p "/tmp/xfer-$1.hex" | md5sum | cut -d' ' -f1)"
      rm -f "/tmp/xfer-$1.hex" ;;
    RESTART)
      say "STANDIN RESTART"
      touch /tmp/agent.stop /tmp/agent.restarted
      kill "$(cat /tmp/agent.ddpid)" 2>/dev/null
      break ;;
  esac
done
exit 0
LIFE
cat > "$root/etc/agent-standin.awk" <<'AWK'
# The stand-in agent: reads the port as hex lines (VDIChunkHeader port u32,
# size u32, then the chunk; the chunks of VDP_CLIENT_PORT make the agent
# message stream), answers
# ANNOUNCE_CAPABILITIES, DISPLAY_CONFIG (REPLY success), FILE_XFER_START
# (CAN_SEND_DATA, or NOT_ENOUGH_SPACE with 4096 bytes free for a name starting
# with "refuse-") and FILE_XFER_DATA (SUCCESS once all bytes are in). Output
# lines for the shell: SEND <hex>, SAY <text>, DONE <id>, RESTART.
function hexval(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
function le32(h, off) { return hexval(substr(h, off * 2 + 7, 2) substr(h, off * 2 + 5, 2) substr(h, off * 2 + 3, 2) substr(h, off * 2 + 1, 2)) }
function hex32(v,   s, i) { s = ""; for (i = 0; i < 4; i++) { s = s sprintf("%02x", v % 256); v = int(v / 256) } return s }
function msg(type, payload,   m) { m = hex32(1) hex32(type) hex32(0) hex32(0) hex32(length(payload) / 2) payload; return hex32(1) hex32(length(m) / 2) m }
function out(line) { print line; fflush() }
function text(h,   i, c, s) { s = ""; for (i = 1; i < length(h); i += 2) { c = hexval(substr(h, i, 2)); if (c == 0) break; s = s sprintf("%c", c) } return s }
function handle(type, p, size,   req, id, t, n, k, name, fsize) {
  if (type == 6) {
    req = le32(p, 0)
    out("SAY CAPS request=" req)
    if (req) out("SEND " msg(6, hex32(0) hex32(16406)))
  } else if (type == 5) {
    ndc++
    out("SAY DISPLAY_CONFIG flags=" le32(p, 0) " depth=" le32(p, 4))
    out("SEND " msg(3, hex32(5) hex32(1)))
    if (RESTART > 0 && ndc == RESTART) out("RESTART")
  } else if (type == 10) {
    id = le32(p, 0); t = text(substr(p, 9))
    n = split(t, lines, "\n"); name = ""; fsize = -1
    for (k = 1; k <= n; k++) {
      if (substr(lines[k], 1, 5) == "name=") name = substr(lines[k], 6)
      if (substr(lines[k], 1, 5) == "size=") fsize = substr(lines[k], 6) + 0
    }
    out("SAY XFER START id=" id " size=" fsize " name=" name)
    if (substr(name, 1, 7) == "refuse-") { out("SEND " msg(11, hex32(id) hex32(4) hex32(4096) hex32(0))); return }
    want[id] = fsize; got[id] = 0
    printf "" > ("/tmp/xfer-" id ".hex"); close("/tmp/xfer-" id ".hex")
    out("SEND " msg(11, hex32(id) hex32(0)))
    if (fsize == 0) { out("DONE " id); out("SEND " msg(11, hex32(id) hex32(3))) }
  } else if (type == 12) {
    id = le32(p, 0); n = le32(p, 4)
    if (!(id in want)) return
    printf "%s", substr(p, 25) >> ("/tmp/xfer-" id ".hex")
    got[id] += n
    if (got[id] >= want[id]) {
      close("/tmp/xfer-" id ".hex"); delete want[id]
      out("DONE " id)
      out("SEND " msg(11, hex32(id) hex32(3)))
    }
  } else if (type == 11) {
    out("SAY XFER STATUS id=" le32(p, 0) " result=" le32(p, 4))
  }
}
{
  raw = raw $0
  while (length(raw) >= 16) {
    csize = le32(raw, 4)
    if (length(raw) < 16 + csize * 2) break
    if (le32(raw, 0) == 1) buf = buf substr(raw, 17, csize * 2)
    raw = substr(raw, 17 + csize * 2)
  }
  while (length(buf) >= 40) {
    size = le32(buf, 16)
    if (length(buf) < 40 + size * 2) break
    type = le32(buf, 4); p = substr(buf, 41, size * 2); buf = substr(buf, 41 + size * 2)
    handle(type, p, size)
  }
}
AWK

# ---- /init ---------------------------------------------------------------------
cat > "$root/init" <<'INIT'
#!/bin/sh
# Test guest init. Serial console line formats (one line each):
#   GUEST BOOT <kernel release>           init started
#   GUEST MODULE-FAIL <module>            a module failed to load
#   GUEST FB <dev>...                     framebuffer devices found (one per QXL)
#   FBPATTERN <dev> <w>x<h> stride=<n>    fbpattern=1: the known stripes were written (see below)
#   GUEST AGENT-PORT <dev>|none           the SPICE agent port held open read-write
#   GUEST READY                           everything above is done
#   AGENT: <hex>                          bytes read from the agent port (each read
#                                         split into lines of at most 32 bytes)
#   GUEST AGENT-OPEN <dev> / AGENT-CLOSED the agent port opened / closed (a restart)
#   STANDIN ...                           the stand-in agent (agentstandin=1):
#     STANDIN CAPS request=<0|1>          client's ANNOUNCE_CAPABILITIES
#     STANDIN DISPLAY_CONFIG flags=<n> depth=<n>
#     STANDIN XFER START id=<n> size=<n> name=<name>
#     STANDIN XFER DONE id=<n> size=<n> md5=<md5>   all data received, md5 of it
#     STANDIN XFER STATUS id=<n> result=<n>          client's FILE_XFER_STATUS
#     STANDIN RESTART                     closing the port (agentrestart=N: after
#                                         the N-th DISPLAY_CONFIG, once)
#   USBDEV <name> <vid>:<pid> speed=<speed> product=<product>   every second, each device
#   USBTICK <n>                           after each listing round (n counts rounds)
#   ACM DEVICE <dev>                      a CDC-ACM tty appeared
#   ACM SENT <count> <md5>                acmtest=N: N bytes, byte i = i mod 256, were written
#   ACM RESULT <count> <md5>              bytes read back (count < N means 20 s timeout)
#   ACM DONE <dev>
#   MSC DISK <dev> <sectors>              a USB disk appeared (/sys/block/sd*), its size in 512-byte sectors
#   MSC READ <blocks> <md5> <secs>s      msctest=N (a multiple of 128): md5 of its first N 512-byte blocks
#                                         (64 KiB reads with O_DIRECT) and how long the read took
#   MSC WROTE <block> <md5>               msctest=N: 64 KiB from block N on were written with /etc/msc-block
#                                         (512 bytes: "spice-console msc test block\n" repeated, cut)
#                                         128 times in one O_DIRECT write, synced, and read back (O_DIRECT):
#                                         the md5 of what was read back
#                                         (msctimeout=S first sets the disk's SCSI command timeout)
#   MSC ERROR <dev> <message>             the read failed: dd's message
#   MSC MKNOD <dev>                       its /dev node was missing (or not a block device) and was made
#                                         from /sys/block/<dev>/dev
#   MSC DONE <dev>
#   MSC GONE <dev>                        the disk went away
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts /tmp/lock
mount -t devpts devpts /dev/pts 2>/dev/null
exec </dev/console >/dev/console 2>&1

# say: print stdin (or args) to the console as one block, serialised across
# the background loops with a mkdir lock so lines never interleave.
say() {
  while ! mkdir /tmp/lock/console 2>/dev/null; do usleep 5000; done
  if [ $# -gt 0 ]; then echo "$*"; else cat; fi
  rmdir /tmp/lock/console
}

say "GUEST BOOT $(uname -r)"
for m in $(cat /etc/modules); do
  modprobe "$m" 2>/dev/null || echo "$m" >> /tmp/modfail
done
if [ -s /tmp/modfail ]; then
  # fall back to insmod in dependency order
  for f in $(cat /etc/modules.order); do insmod "$f" 2>/dev/null; done
  for m in $(cat /tmp/modfail); do
    n=$(echo "$m" | tr - _)
    grep -q "^$n " /proc/modules || say "GUEST MODULE-FAIL $m"
  done
fi

acmtest=0
msctest=0
msctimeout=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    acmtest=*) acmtest=${arg#acmtest=} ;;
    msctest=*) msctest=${arg#msctest=} ;;
    msctimeout=*) msctimeout=${arg#msctimeout=} ;;
  esac
done

# Wait a little for devices to settle (virtio ports, framebuffers).
i=0
while [ $i -lt 30 ]; do
  ls /dev/vport* >/dev/null 2>&1 && ls /dev/fb* >/dev/null 2>&1 && break
  usleep 100000; i=$((i + 1))
done
say "GUEST FB $(ls /dev/fb* 2>/dev/null | tr '\n' ' ')"

# ---- fbpattern=1: a known picture in every framebuffer (multi-monitor tests) ----
# Framebuffer N gets (through /bin/fbpattern, which writes via mmap) horizontal stripes 16 rows high alternating two colours:
#   fb0: (R,G,B) 200,30,40 / 20,40,210    fb1: 30,190,60 / 230,220,20    fbN (N>1): 100+N,100,100 / 0,0,N
# and prints "FBPATTERN <dev> <width>x<height> stride=<bytes>" once written. The text console's cursor is
# hidden first so nothing draws over the pattern (the console itself writes to the serial port only).
fbpattern=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in fbpattern=*) fbpattern=${arg#fbpattern=} ;; esac
done
if [ "$fbpattern" = 1 ]; then
  echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null
  printf '\033[?25l\033[2J' > /dev/tty1 2>/dev/null   # no text cursor, nothing written on the console
  for fb in /sys/class/graphics/fb[0-9]*; do
    n=${fb##*/fb}
    case $n in
      0) c1="200 30 40"; c2="20 40 210" ;;
      1) c1="30 190 60"; c2="230 220 20" ;;
      *) c1="$((100 + n)) 100 100"; c2="0 0 $n" ;;
    esac
    out=$(fbpattern /dev/fb$n $c1 $c2) && say "FBPATTERN /dev/fb$n $out"
  done
fi

# ---- agent port: hold it open read-write and dump what arrives --------------
# /etc/agent-life.sh opens the port, dumps every chunk (AGENT: lines) and, with
# agentstandin=1 on the kernel command line, runs the stand-in agent. A life
# ends only when the stand-in restarts the agent (agentrestart=N); then the
# port is closed for a second and opened again, as a restarting agent does.
agentdev=none
for p in /sys/class/virtio-ports/*; do
  [ -e "$p/name" ] || continue
  if [ "$(cat "$p/name")" = com.redhat.spice.0 ]; then agentdev=/dev/${p##*/}; fi
done
if [ "$agentdev" = none ] && [ -e /dev/vport0p1 ]; then agentdev=/dev/vport0p1; fi
if [ "$agentdev" != none ]; then
  standin=0; restart=0
  for arg in $(cat /proc/cmdline); do
    case "$arg" in agentstandin=*) standin=${arg#agentstandin=} ;; agentrestart=*) restart=${arg#agentrestart=} ;; esac
  done
  (
    while :; do
      [ -e /tmp/agent.restarted ] && restart=0
      sh /etc/agent-life.sh "$agentdev" "$standin" "$restart"
      say "GUEST AGENT-CLOSED"
      sleep 1
    done
  ) &
  # the port is open before GUEST READY
  i=0; while [ ! -e /tmp/agent.open ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
fi
say "GUEST AGENT-PORT $agentdev"

# ---- CDC-ACM loopback test -----------------------------------------------------
acm_test() {
  # Files of its own per test (id $3): a test of a device that just went may still be ending when the next
  # device's test starts, maybe on the same tty name.
  dev=$1; n=$2; f=/tmp/acm.$3
  say "ACM DEVICE $dev"
  if [ "$n" -gt 0 ] 2>/dev/null; then
    exec 4<>"$dev"
    stty raw -echo -ixon -ixoff <&4 2>/dev/null
    # payload: /etc/acm-pattern (bytes 0..255) repeated, cut to n bytes
    cp /etc/acm-pattern $f.pat
    while [ "$(stat -c %s $f.pat)" -lt "$n" ]; do
      cat $f.pat $f.pat > $f.pat2; mv $f.pat2 $f.pat
    done
    head -c "$n" $f.pat > $f.tx
    rm -f $f.pat $f.rx
    timeout 20 head -c "$n" <&4 > $f.rx &
    reader=$!
    timeout 20 cat $f.tx >&4
    say "ACM SENT $n $(md5sum < $f.tx | cut -d' ' -f1)"
    wait $reader
    say "ACM RESULT $(stat -c %s $f.rx) $(md5sum < $f.rx | cut -d' ' -f1)"
    exec 4<&-
    rm -f $f.tx $f.rx
  fi
  say "ACM DONE $dev"
}

# ---- USB disk test -------------------------------------------------------------
msc_test() {
  dev=$1; n=$2
  say "MSC DISK $dev $(cat /sys/block/$dev/size)"
  # msctimeout=S: the SCSI command timeout in seconds (the kernel's error recovery starts sooner)
  [ "$msctimeout" -gt 0 ] 2>/dev/null && echo "$msctimeout" > /sys/block/$dev/device/timeout
  if [ "$n" -gt 0 ] 2>/dev/null; then
    # Wait until the disk reads (5 s). Should its /dev node be missing or not a block device (a disk that
    # replaced a removed one of the same name, whose node devtmpfs removed late), make it from /sys.
    i=0
    while ! dd if=/dev/$dev of=/dev/null bs=512 count=1 iflag=direct 2>/dev/null && [ $i -lt 50 ]; do
      if [ ! -b /dev/$dev ] && [ -e /sys/block/$dev/dev ]; then
        mm=$(cat /sys/block/$dev/dev); rm -f /dev/$dev
        mknod /dev/$dev b ${mm%:*} ${mm#*:} 2>/dev/null && say "MSC MKNOD $dev"
      fi
      usleep 100000; i=$((i + 1))
    done
    # 64 KiB reads (one SCSI READ(10) of 128 blocks each), timed with /proc/uptime
    t0=$(cut -d' ' -f1 /proc/uptime)
    sum=$(dd if=/dev/$dev bs=65536 count=$((n / 128)) iflag=direct 2>/tmp/msc.$dev.err | md5sum | cut -d' ' -f1)
    grep -v records /tmp/msc.$dev.err | head -1 | sed "s|^|MSC ERROR $dev |" | say
    t1=$(cut -d' ' -f1 /proc/uptime)
    say "MSC READ $n $sum $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s"
    i=0; : > /tmp/msc.$dev.w
    while [ $i -lt 128 ]; do cat /etc/msc-block >> /tmp/msc.$dev.w; i=$((i + 1)); done
    # seek counts 64 KiB blocks: n is a multiple of 128
    # (only to the block device: dd would create a plain file in /dev when the disk is gone)
    [ -b /dev/$dev ] && dd if=/tmp/msc.$dev.w of=/dev/$dev bs=65536 seek=$((n / 128)) count=1 oflag=direct conv=fsync 2>/dev/null
    sync
    rm -f /tmp/msc.$dev.w
    say "MSC WROTE $n $(dd if=/dev/$dev bs=65536 skip=$((n / 128)) count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
  fi
  say "MSC DONE $dev"
}

say "GUEST READY"

# ---- main loop: USB listing every second, ACM watcher ------------------------
tick=0
acm_seen=""
msc_seen=""
while :; do
  out=""
  for d in /sys/bus/usb/devices/*; do
    [ -e "$d/idVendor" ] || continue
    prod=""
    [ -e "$d/product" ] && prod=$(cat "$d/product")
    out="${out}USBDEV ${d##*/} $(cat "$d/idVendor"):$(cat "$d/idProduct") speed=$(cat "$d/speed") product=${prod}
"
  done
  tick=$((tick + 1))
  printf '%sUSBTICK %s\n' "$out" "$tick" | say
  for t in /dev/ttyACM*; do
    [ -e "$t" ] || continue
    case " $acm_seen " in *" $t "*) continue ;; esac
    acm_seen="$acm_seen $t"
    acm_test "$t" "$acmtest" "$tick" &
  done
  # forget ttys that went away so a re-plugged device is tested again
  keep=""
  for t in $acm_seen; do [ -e "$t" ] && keep="$keep $t"; done
  acm_seen=$keep
  for b in /sys/block/sd*; do
    [ -e "$b" ] || continue
    d=${b##*/}
    case " $msc_seen " in *" $d "*) continue ;; esac
    msc_seen="$msc_seen $d"
    msc_test "$d" "$msctest" &
  done
  keep=""
  for d in $msc_seen; do
    if [ -e "/sys/block/$d" ]; then keep="$keep $d"; else say "MSC GONE $d"; fi
  done
  msc_seen=$keep
  sleep 1
done
INIT
chmod 755 "$root/init"

# ---- pack -------------------------------------------------------------------------
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -6 > "$work/initrd.img"
cp "/boot/vmlinuz-$kver" "$work/vmlinuz"
mkdir "$work/pack"
mv "$work/initrd.img" "$work/vmlinuz" "$work/pack/"
# Publish atomically. A concurrent build that got there first wins; with
# GUEST_REBUILD the old build is moved aside first.
if [[ -n ${GUEST_REBUILD:-} && -d $out_dir ]]; then mv -T "$out_dir" "$work/old" 2>/dev/null || true; fi
mv -T "$work/pack" "$out_dir" 2>/dev/null || true
[[ -s $out_dir/initrd.img && -s $out_dir/vmlinuz ]] || die "could not publish $out_dir"
# drop stale builds of other script versions
for d in "$cache_root"/*; do
  [[ -d $d && $d != "$out_dir" ]] && rm -rf "$d"
done
end=$(date +%s.%N)
log "built $out_dir ($(du -h "$out_dir/initrd.img" | cut -f1) initrd) in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
echo "KERNEL=$out_dir/vmlinuz"
echo "INITRD=$out_dir/initrd.img"
