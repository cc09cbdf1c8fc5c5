/**
 * The `.ini`-like "key file" syntax of virt-viewer connection files (GLib's GKeyFile, which remote-viewer
 * reads them with): `[group]` headers, `key=value` lines, `#` comments and blank lines. This module only
 * splits text into groups of raw values and unescapes string values; what the keys mean is vv-file.ts's job.
 *
 * GKeyFile facts followed here: whitespace around the key and around the value is ignored; a key given twice
 * keeps the last value; a group given twice is merged; localized keys (`title[de]`) are ignored; string
 * values escape `\s` `\n` `\t` `\r` `\\`; lists are separated by `;` (a trailing `;` ends the list). A line
 * that is none of these is an error, as it is for remote-viewer. Also tolerated (portals and editors
 * produce them): a UTF-8 byte order mark, CRLF or CR line ends, and `;` comments.
 */

/** Thrown for text that is not a key file; `line` is 1-based. */
export class KeyFileSyntaxError extends Error {
  override name = 'KeyFileSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Groups by name, each a map of key to raw (still escaped) value. Null-prototype free: Maps throughout. */
export type KeyFile = Map<string, Map<string, string>>;

// eslint-disable-next-line no-control-regex -- a group name excludes control characters, so the class names them
const GROUP_RE = /^\[([^\][\x00-\x1f]+)\]$/;
const KEY_RE = /^[A-Za-z0-9_-]+$/;
const LOCALIZED_KEY_RE = /^[A-Za-z0-9_-]+\[[^\]]*\]$/;

/** Splits key-file text into groups. Keys before the first group are an error, as in GKeyFile. */
export function parseKeyFile(text: string): KeyFile {
  const groups: KeyFile = new Map();
  let current: Map<string, string> | null = null;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.includes('\0')) throw new KeyFileSyntaxError('contains a NUL character', lineNo);
    if (line.startsWith('[')) {
      const m = GROUP_RE.exec(line);
      if (!m) throw new KeyFileSyntaxError(`malformed group header ${quote(line)}`, lineNo);
      const name = m[1]!.trim();
      current = groups.get(name) ?? new Map<string, string>();
      groups.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new KeyFileSyntaxError(`not a key=value pair, group or comment: ${quote(line)}`, lineNo);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (LOCALIZED_KEY_RE.test(key)) continue;
    if (!KEY_RE.test(key)) throw new KeyFileSyntaxError(`invalid key name ${quote(key)}`, lineNo);
    if (!current) throw new KeyFileSyntaxError(`key ${quote(key)} comes before any [group]`, lineNo);
    current.set(key, value);
  }
  return groups;
}

/** GKeyFile's string unescaping: `\s` space, `\n`, `\t`, `\r`, `\\`; any other escape is an error. */
export function unescapeValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    switch (next) {
      case 's':
        out += ' ';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case ';':
        out += ';';
        break;
      default:
        throw new Error(next === undefined ? 'ends with a lone backslash' : `has an unknown escape \\${next}`);
    }
  }
  return out;
}

/** GKeyFile's list form: items separated by `;`, `\;` is a literal semicolon; empty items are dropped. */
export function splitList(raw: string): string[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && raw[i + 1] === ';') {
      cur += '\\;';
      i++;
    } else if (c === ';') {
      items.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  items.push(cur);
  return items.map((s) => unescapeValue(s.trim())).filter((s) => s !== '');
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
