/**
 * UTF-8 encoding and decoding for pure modules (which compile without DOM/worker libs and so without
 * TextEncoder). Invalid sequences decode to U+FFFD, as TextDecoder does.
 */

export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

export function utf8Decode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    let need = 0;
    let c = b;
    if (b >= 0xf0 && b < 0xf8) {
      need = 3;
      c = b & 7;
    } else if (b >= 0xe0) {
      need = 2;
      c = b & 15;
    } else if (b >= 0xc0) {
      need = 1;
      c = b & 31;
    } else if (b >= 0x80) {
      need = -1;
    }
    i++;
    if (need < 0 || i + need > bytes.length) {
      s += '\ufffd';
      continue;
    }
    let ok = true;
    for (let k = 0; k < need; k++) {
      const n = bytes[i + k]!;
      if ((n & 0xc0) !== 0x80) ok = false;
      c = (c << 6) | (n & 63);
    }
    if (!ok) {
      s += '\ufffd';
      continue;
    }
    i += need;
    s += String.fromCodePoint(c > 0x10ffff ? 0xfffd : c);
  }
  return s;
}

/** A NUL-terminated (or unterminated) string in `bytes`. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8Decode(end < 0 ? bytes : bytes.subarray(0, end));
}
