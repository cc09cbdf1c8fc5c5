/**
 * Connection files as real portals write them, shared by the .vv parser's unit tests and its fuzz target:
 * oVirt's engine (ConsoleDescriptorGenerator, CRLF line ends, an [ovirt] section with credentials) and
 * Proxmox VE's spiceproxy file (a ticket-like host only its proxy resolves, mixed-case hotkeys).
 */
export const CA = '-----BEGIN CERTIFICATE-----\\nMIIDxTCCAq2gAwIBAgICEAAwDQYJ\\nKoZIhvcNAQELBQAwUDELMAkGA1UE\\n-----END CERTIFICATE-----\\n';

/** The shape oVirt's engine generates for a SPICE console (ConsoleDescriptorGenerator), CRLF line ends. */
export const OVIRT = [
  '[virt-viewer]',
  'type=spice',
  'host=192.0.2.17',
  'port=5912',
  'password=Zm9vYmFyYmF6',
  '# Password is valid for 120 seconds.',
  'delete-this-file=1',
  'fullscreen=0',
  'title=win10-desk:%d - Press SHIFT+F12 to Release Cursor',
  'toggle-fullscreen=shift+f11',
  'release-cursor=shift+f12',
  'tls-port=5913',
  'enable-smartcard=0',
  'enable-usb-autoshare=1',
  'usb-filter=-1,-1,-1,-1,1',
  'tls-ciphers=DEFAULT',
  'host-subject=O=example.org,CN=host17.example.org',
  `ca=${CA}`,
  'secure-attention=ctrl+alt+end',
  'versions=rhev-win64:2.0-160;rhev-win32:2.0-160;rhel8:99.0-1;rhel7:2.0-6;rhel6:99.0-1;novell:99.0-1',
  'newer-version-url=http://www.ovirt.org/documentation/admin-guide/virt/console-client-resources',
  'secure-channels=main;inputs;cursor;playback;record;display;smartcard;usbredir',
  'enable-usbredir=1',
  'color-depth=16',
  'disable-effects=animation',
  '',
  '[ovirt]',
  'host=engine.example.org:443',
  'vm-guid=5b9d2ac5-3a4e-4c0b-9e0e-2f5f3cf2bd41',
  'sso-token=c2VjcmV0LXNzby10b2tlbg',
  'admin=1',
  `ca=${CA}`,
  '',
].join('\r\n');

/** Proxmox VE's spiceproxy file: the host is a ticket-like name only its proxy resolves; mixed-case hotkeys. */
export const PROXMOX = `[virt-viewer]
secure-attention=Ctrl+Alt+Ins
release-cursor=Ctrl+Alt+R
toggle-fullscreen=Shift+F11
type=spice
title=VM 100 - vm100
delete-this-file=1
host=pvespiceproxy:6571b6d2:100:pve1::0a1b2c3d4e5f
password=0a1b2c3d4e5f60718293
tls-port=61000
proxy=http://192.0.2.5:3128
host-subject=OU=PVE Cluster Node,O=Proxmox Virtual Environment,CN=pve1.example.org
ca=${CA}
`;
