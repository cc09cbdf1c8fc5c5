/**
 * Writes the documentation of `<spice-console>`'s events from their one definition, src/api/events.ts
 * (`SpiceConsoleEventDetail`: name → detail type, with a doc comment each): the `@fires` lines of the
 * element's class JSDoc and the events table of README.md (between the `events:begin` / `events:end`
 * markers). The detail's shape (`{ a, b?, c: [{ d }] }`) is read from the type by the TypeScript checker.
 *
 *   node scripts/gen-event-docs.mjs           rewrite both files
 *   node scripts/gen-event-docs.mjs --check   exit 1 if either is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS = 'src/api/events.ts';
const ELEMENT = 'src/elements/spice-console/spice-console.ts';
const README = 'README.md';
const BEGIN = '<!-- events:begin: generated from src/api/events.ts by `npm run gen:docs` -->';
const END = '<!-- events:end -->';
const WIDTH = 120;

/** Each event of SpiceConsoleEventDetail: name, description, detail shape. */
export function readEvents(root = ROOT) {
  const file = join(root, EVENTS);
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2023.d.ts'] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === 'SpiceConsoleEventDetail');
  if (!decl) throw new Error(`${EVENTS}: no interface SpiceConsoleEventDetail`);
  return decl.members.map((member) => {
    const symbol = checker.getSymbolAtLocation(member.name);
    const description = ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
    if (!description) throw new Error(`${EVENTS}: event ${symbol.name} has no doc comment`);
    return { name: symbol.name, description, detail: shape(checker, checker.getTypeOfSymbolAtLocation(symbol, member), 0) };
  });
}

/** `{ a, b?, c: { d }, e: [{ f }] }` for object types; '' for anything else (names say enough there). */
function shape(checker, type, depth) {
  if (depth > 2 || type.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.Union)) return '';
  if (checker.isArrayType(type)) {
    const inner = shape(checker, checker.getTypeArguments(type)[0], depth);
    return inner ? `[${inner}]` : '';
  }
  const props = checker.getPropertiesOfType(type);
  if (!props.length) return '';
  const parts = props.map((p) => {
    const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
    const decl = p.valueDeclaration ?? p.declarations?.[0];
    const inner = decl ? shape(checker, checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(p, decl)), depth + 1) : '';
    return inner ? `${p.name}${optional}: ${inner}` : `${p.name}${optional}`;
  });
  return `{ ${parts.join(', ')} }`;
}

/** Word-wraps `text` into JSDoc lines: the first after ` * `, the rest indented by `indent`. */
function wrap(text, first, indent) {
  const lines = [];
  let line = first;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > WIDTH && line.trim() !== '*') {
      lines.push(line);
      line = indent + word;
    } else line += (line.endsWith(' ') ? '' : ' ') + word;
  }
  lines.push(line);
  return lines;
}

function detailText(e) {
  return e.detail ? ` \`detail\`: \`${e.detail}\`.` : '';
}

/** The `@fires` lines of the element's class JSDoc. */
export function firesLines(events) {
  return events.flatMap((e) => wrap(`${e.description}${detailText(e)}`, ` * @fires ${e.name} -`, ' *   '));
}

/** The README events table, markers included. */
export function readmeTable(events) {
  const rows = events.map((e) => `| \`${e.name}\` | ${`${e.description}${detailText(e)}`.replace(/\|/g, '\\|')} |`);
  return [BEGIN, '', '| Event | |', '| --- | --- |', ...rows, '', END].join('\n');
}

/** The element file with its `@fires` block (every line from the first `@fires` to the next blank ` *`) replaced. */
export function renderElement(text, events) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(' * @fires '));
  if (start < 0) throw new Error(`${ELEMENT}: no @fires block`);
  let end = start;
  while (end < lines.length && lines[end] !== ' *') end++;
  return [...lines.slice(0, start), ...firesLines(events), ...lines.slice(end)].join('\n');
}

export function renderReadme(text, events) {
  const a = text.indexOf('<!-- events:begin');
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${README}: no ${'<!-- events:begin'} … ${END} markers`);
  return text.slice(0, a) + readmeTable(events) + text.slice(b + END.length);
}

/** [path, current text, generated text] of every generated file. */
export function generated(root = ROOT) {
  const events = readEvents(root);
  return [
    [ELEMENT, renderElement],
    [README, renderReadme],
  ].map(([path, render]) => {
    const current = readFileSync(join(root, path), 'utf8');
    return [path, current, render(current, events)];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, current, next] of generated()) {
    if (current === next) continue;
    if (check) {
      console.error(`${path} is stale: run npm run gen:docs`);
      stale++;
    } else {
      writeFileSync(join(ROOT, path), next);
      console.log(`wrote ${path}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
