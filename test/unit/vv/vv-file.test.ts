/**
 * parseVvFile: real-world connection file shapes (oVirt's portal, Proxmox's spiceproxy, a libvirt-style
 * minimal file), every key of virt-viewer's set, the WebSocket URL rules, and hostile input.
 */
import { describe, expect, it } from 'vitest';
import { parseVvFile, VvFileError, SPICE_GTK_AUTO_CONNECT_FILTER, type VvParseOptions } from '../../../src/vv/vv-file.js';
import { CA, OVIRT, PROXMOX } from '../../fakes/vv-files.js';

const TEMPLATE: VvParseOptions = { urlTemplate: 'wss://console.example.org/spice/{token}', token: 'tok-1' };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VvFileError);
    return (e as VvFileError).code;
  }
  throw new Error('expected a VvFileError');
}

describe('parseVvFile: oVirt portal file', () => {
  it('should map every key onto console settings', () => {
    const s = parseVvFile(OVIRT, { urlTemplate: 'wss://proxy.example.org/spice/{vm-guid}?port={tls-port}' });
    expect(s.url).toBe('wss://proxy.example.org/spice/5b9d2ac5-3a4e-4c0b-9e0e-2f5f3cf2bd41?port=5913');
    expect(s.type).toBe('spice');
    expect(s.password).toBe('Zm9vYmFyYmF6');
    expect(s.host).toBe('192.0.2.17');
    expect(s.port).toBe(5912);
    expect(s.tlsPort).toBe(5913);
    expect(s.deleteThisFile).toBe(true);
    expect(s.fullscreen).toBe(false);
    expect(s.title).toBe('win10-desk:%d - Press SHIFT+F12 to Release Cursor');
    expect(s.usb).toBe('native');
    expect(s.usbFilter).toBe('-1,-1,-1,-1,1');
    expect(s.usbAutoRedirectFilter).toBe('-1,-1,-1,-1,1');
    expect(s.smartcard).toBe(false);
    expect(s.colorDepth).toBe(16);
    expect(s.disableEffects).toEqual(['animation']);
    expect(s.hostSubject).toBe('O=example.org,CN=host17.example.org');
    expect(s.ca).toBe(CA.replaceAll('\\n', '\n'));
    expect(s.ca!.split('\n')).toHaveLength(5);
    expect(s.secureChannels).toEqual(['main', 'inputs', 'cursor', 'playback', 'record', 'display', 'smartcard', 'usbredir']);
    expect(s.versions).toEqual({ 'rhev-win64': '2.0-160', 'rhev-win32': '2.0-160', rhel8: '99.0-1', rhel7: '2.0-6', rhel6: '99.0-1', novell: '99.0-1' });
    expect(s.newerVersionUrl).toBe('http://www.ovirt.org/documentation/admin-guide/virt/console-client-resources');
    expect(s.hotkeys.secureAttention).toEqual({ spec: 'ctrl+alt+end', ctrl: true, alt: true, shift: false, meta: false, code: 'End' });
    expect(s.hotkeys.releaseCursor).toMatchObject({ shift: true, ctrl: false, code: 'F12' });
    expect(s.hotkeys.toggleFullscreen).toMatchObject({ shift: true, code: 'F11' });
    expect(s.ovirt).toEqual({
      host: 'engine.example.org:443',
      vmGuid: '5b9d2ac5-3a4e-4c0b-9e0e-2f5f3cf2bd41',
      ssoToken: 'c2VjcmV0LXNzby10b2tlbg',
      admin: true,
      ca: CA.replaceAll('\\n', '\n'),
    });
    expect(s.warnings).toEqual([]);
  });

  it('should refuse the stock file without a WebSocket URL, naming the TCP address', () => {
    const err = (() => {
      try {
        parseVvFile(OVIRT);
      } catch (e) {
        return e as VvFileError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('websocket-url-needed');
    expect(err.message).toContain('192.0.2.17:5913');
    expect(err.message).not.toContain('Zm9vYmFyYmF6');
  });

  it('should prefer the [spice-console] url a browser-aware portal adds', () => {
    const s = parseVvFile(`${OVIRT}[spice-console]\r\nurl=wss://portal.example.org/spice/abc123\r\n`, TEMPLATE);
    expect(s.url).toBe('wss://portal.example.org/spice/abc123');
  });
});

describe('parseVvFile: other producers', () => {
  it('should read a Proxmox spiceproxy file with its token from the page', () => {
    const s = parseVvFile(PROXMOX, TEMPLATE);
    expect(s.url).toBe('wss://console.example.org/spice/tok-1');
    expect(s.tlsPort).toBe(61000);
    expect(s.port).toBeUndefined();
    expect(s.hotkeys.secureAttention).toMatchObject({ ctrl: true, alt: true, code: 'Insert' });
    expect(s.hotkeys.releaseCursor).toMatchObject({ ctrl: true, alt: true, code: 'KeyR' });
    expect(s.proxy).toBe('http://192.0.2.5:3128');
    expect(s.warnings).toEqual(['proxy: the browser connects through its own proxy settings; ignored']);
    expect(s.usb).toBeUndefined();
    expect(s.usbAutoRedirectFilter).toBeUndefined();
  });

  it('should fill {host} and {port} URL-encoded, and take {token} from the file before the page', () => {
    const text = '[virt-viewer]\ntype=spice\nhost=vm host\nport=5900\n[spice-console]\ntoken=a/b c\n';
    const s = parseVvFile(text, { urlTemplate: 'ws://gw.example/{host}/{port}?t={token}', token: 'page' });
    expect(s.url).toBe('ws://gw.example/vm%20host/5900?t=a%2Fb%20c');
  });

  it('should keep unset keys undefined so the console keeps its defaults', () => {
    const s = parseVvFile('[virt-viewer]\ntype=spice\n[spice-console]\nurl=ws://127.0.0.1:5912\n');
    expect(s).toEqual({ type: 'spice', url: 'ws://127.0.0.1:5912', hotkeys: {}, deleteThisFile: false, warnings: [] });
  });
});

describe('parseVvFile: value forms', () => {
  const base = '[virt-viewer]\ntype=spice\n[spice-console]\nurl=wss://h/x\n[virt-viewer]\n';
  it('should tolerate a BOM, CR line ends, spaces around =, comments and localized keys', () => {
    const s = parseVvFile(`\uFEFF# comment\r; also a comment\r[virt-viewer]\r  type = SPICE  \rtitle[de]=Konsole\rtitle = My VM \r[spice-console]\rurl = ws://h:1/\r`);
    expect(s.url).toBe('ws://h:1/');
    expect(s.title).toBe('My VM');
  });

  it('should unescape \\s \\n \\t \\\\ and keep the last of a repeated key', () => {
    const s = parseVvFile(`${base}title=first\ntitle=\\sa\\tb\\\\c\\nd\n`);
    expect(s.title).toBe(' a\tb\\c\nd');
  });

  it('should read enable-usbredir=0 as disabled and autoshare without a filter as spice-gtk default', () => {
    const s = parseVvFile(`${base}enable-usbredir=0\nenable-usb-autoshare=1\n`);
    expect(s.usb).toBe('disabled');
    expect(s.usbAutoRedirectFilter).toBe(SPICE_GTK_AUTO_CONNECT_FILTER);
    expect(parseVvFile(`${base}enable-usb-autoshare=0\nusb-filter=0x08,-1,-1,-1,0|-1,-1,-1,-1,1\n`).usbAutoRedirectFilter).toBe('');
  });

  it('should expand disable-effects=all and keep spice-gtk order', () => {
    expect(parseVvFile(`${base}disable-effects=all\n`).disableEffects).toEqual(['wallpaper', 'font-smooth', 'animation']);
    expect(parseVvFile(`${base}disable-effects=animation;wallpaper;\n`).disableEffects).toEqual(['wallpaper', 'animation']);
  });

  it('should read -1 and 0 ports as unset, fullscreen=1 as true, color-depth=0 as unset', () => {
    const s = parseVvFile(`${base}port=-1\ntls-port=0\nfullscreen=1\ncolor-depth=0\n`);
    expect(s.port).toBeUndefined();
    expect(s.tlsPort).toBeUndefined();
    expect(s.fullscreen).toBe(true);
    expect(s.colorDepth).toBeUndefined();
  });

  it('should list disable-channels and warn about unix-path and smartcards', () => {
    const s = parseVvFile(
      `${base}disable-channels=playback;record\nunix-path=/run/spice.sock\nenable-smartcard=1\nusername=alice\nzoom-in=ctrl+plus\nusb-device-reset=ctrl+shift+r\n`,
    );
    expect(s.disableChannels).toEqual(['playback', 'record']);
    expect(s.username).toBe('alice');
    expect(s.smartcard).toBe(true);
    expect(s.hotkeys.zoomIn).toMatchObject({ ctrl: true, code: 'Equal' });
    expect(s.hotkeys.usbDeviceReset).toMatchObject({ ctrl: true, shift: true, code: 'KeyR' });
    expect(s.warnings).toHaveLength(2);
  });
});

describe('parseVvFile: errors', () => {
  it('should refuse type=vnc as unsupported', () => {
    expect(code(() => parseVvFile('[virt-viewer]\ntype=vnc\nhost=h\nport=5900\n', TEMPLATE))).toBe('unsupported-type');
  });

  it('should refuse text without [virt-viewer] or without type', () => {
    expect(code(() => parseVvFile(''))).toBe('not-vv-file');
    expect(code(() => parseVvFile('[ovirt]\nhost=x\n'))).toBe('not-vv-file');
    expect(code(() => parseVvFile('[virt-viewer]\nhost=x\n'))).toBe('not-vv-file');
  });

  it('should refuse lines that are not key-file syntax, with the line number', () => {
    const err = (() => {
      try {
        parseVvFile('[virt-viewer]\ntype=spice\n<html>\n');
      } catch (e) {
        return e as VvFileError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('syntax');
    expect(err.message).toContain('line 3');
    expect(code(() => parseVvFile('type=spice\n[virt-viewer]\n'))).toBe('syntax');
    expect(code(() => parseVvFile('[virt-viewer\ntype=spice\n'))).toBe('syntax');
    expect(code(() => parseVvFile('[virt-viewer]\ntype=spice\nbad key=1\n'))).toBe('syntax');
  });

  it('should name the key of a value in the wrong form', () => {
    const t = '[virt-viewer]\ntype=spice\n';
    for (const [line, key] of [
      ['port=59a0', 'port'],
      ['tls-port=70000', 'tls-port'],
      ['fullscreen=yes', 'fullscreen'],
      ['color-depth=64', 'color-depth'],
      ['usb-filter=1,2,3', 'usb-filter'],
      ['disable-effects=sparkles', 'disable-effects'],
      ['release-cursor=shift+banana', 'release-cursor'],
      ['secure-attention=ctrl++del', 'secure-attention'],
      ['title=bad\\q', 'title'],
      ['versions=noversion', 'versions'],
    ] as const) {
      let err: VvFileError | undefined;
      try {
        parseVvFile(`${t}${line}\n`, TEMPLATE);
      } catch (e) {
        err = e as VvFileError;
      }
      expect(err?.code, line).toBe('invalid-value');
      expect(err?.key, line).toBe(key);
    }
  });

  it('should never put the password in an error message', () => {
    try {
      parseVvFile('[virt-viewer]\ntype=spice\npassword=s3cr\\et\n', TEMPLATE);
      throw new Error('no error');
    } catch (e) {
      expect((e as VvFileError).code).toBe('invalid-value');
      expect((e as Error).message).not.toMatch(/s3cr|\\e/);
    }
  });

  it('should refuse a template placeholder the file cannot fill, and unknown placeholders', () => {
    const t = '[virt-viewer]\ntype=spice\nhost=h\nport=5900\n';
    expect(code(() => parseVvFile(t, { urlTemplate: 'wss://p/{tls-port}' }))).toBe('missing-value');
    expect(code(() => parseVvFile(t, { urlTemplate: 'wss://p/{token}' }))).toBe('missing-value');
    expect(code(() => parseVvFile(t, { urlTemplate: 'wss://p/{password}' }))).toBe('invalid-url');
  });

  it('should accept only ws:// and wss:// URLs', () => {
    const t = '[virt-viewer]\ntype=spice\n[spice-console]\nurl=';
    for (const bad of ['javascript:alert(1)', 'http://h/x', 'ws://', 'ws:// h/x', 'wss://user@h/x', 'tcp://h:5900', 'ws://h/a b']) {
      expect(
        code(() => parseVvFile(`${t}${bad}\n`)),
        bad,
      ).toBe('invalid-url');
    }
    expect(code(() => parseVvFile('[virt-viewer]\ntype=spice\n', { urlTemplate: 'https://{token}', token: 'x' }))).toBe('invalid-url');
    expect(parseVvFile(`${t}WSS://h:443/spice/t?k=v\n`).url).toBe('WSS://h:443/spice/t?k=v');
  });
});

describe('parseVvFile: hostile input', () => {
  it('should refuse text over the size limit before reading it', () => {
    const big = `[virt-viewer]\ntype=spice\ntitle=${'x'.repeat(70_000)}\n`;
    expect(code(() => parseVvFile(big, TEMPLATE))).toBe('too-large');
    expect(code(() => parseVvFile('[virt-viewer]\ntype=spice\n', { ...TEMPLATE, maxLength: 10 }))).toBe('too-large');
  });

  it('should refuse NUL characters and non-string input', () => {
    expect(code(() => parseVvFile('[virt-viewer]\ntype=spi\0ce\n', TEMPLATE))).toBe('syntax');
    expect(code(() => parseVvFile(42 as unknown as string))).toBe('not-vv-file');
  });

  it('should not let keys reach object prototypes', () => {
    const s = parseVvFile('[virt-viewer]\ntype=spice\n__proto__=x\nconstructor=y\nversions=__proto__:1;toString:2\n', TEMPLATE);
    expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
    expect(s.versions!['__proto__']).toBe('1');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(code(() => parseVvFile('[virt-viewer]\ntype=spice\nrelease-cursor=constructor\n', TEMPLATE))).toBe('invalid-value');
  });

  it('should finish quickly on many lines, long lines and deep escapes', () => {
    const lines = ['[virt-viewer]', 'type=spice'];
    for (let i = 0; i < 5000; i++) lines.push(`x-key-${i}=${'\\s'.repeat(3)}`);
    const t0 = Date.now();
    parseVvFile(lines.join('\n'), { ...TEMPLATE, maxLength: 200_000 });
    const s = parseVvFile(`[virt-viewer]\ntype=spice\ntitle=${'\\\\'.repeat(30_000)}\n`, TEMPLATE);
    expect(s.title).toBe('\\'.repeat(30_000));
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
