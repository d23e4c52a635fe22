/**
 * Where and why a text is not JSON, in words that quote none of it. V8's JSON.parse messages
 * echo the text ('Unexpected token 'r', "root:$6$..." is not valid JSON'), which must never
 * reach a user for a file they may not read; this scanner finds the first error itself.
 * Iterative, so deep nesting cannot overflow the stack.
 */

export interface JsonSyntaxProblem {
  /** 0-based offset of the first bad character (or the end). */
  offset: number;
  /** 1-based line and column of that offset. */
  line: number;
  column: number;
  /** What is wrong, e.g. "unexpected character", "the text ends early". */
  what: string;
}

type State = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'after';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

class Stop {
  constructor(readonly offset: number, readonly what: string) {}
}

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Offset just past the string that starts at `start` (a double quote). */
function scanString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new Stop(start, 'a string is never closed');
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new Stop(i, 'a control character inside a string');
    if (c === 0x5c) {
      const e = text[i + 1];
      if (e === 'u') {
        if (!HEX4.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'a bad \\u escape');
        i += 6;
        continue;
      }
      if (e === undefined || !ESCAPES.has(e)) throw new Stop(i, 'a bad escape');
      i += 2;
      continue;
    }
    i++;
  }
}

function scanLiteral(text: string, at: number): number {
  for (const word of ['true', 'false', 'null']) {
    if (text.startsWith(word, at)) return at + word.length;
  }
  throw new Stop(at, 'unexpected character');
}

function scan(text: string): void {
  const stack: Array<'a' | 'o'> = [];
  let state: State = 'value';
  let pos = 0;
  for (;;) {
    while (isWs(text[pos])) pos++;
    if (pos >= text.length) {
      if (state === 'after' && stack.length === 0) return;
      throw new Stop(pos, pos === 0 ? 'it is empty' : 'the text ends early');
    }
    const c = text[pos]!;
    switch (state) {
      case 'value':
      case 'valueOrEnd':
        if (state === 'valueOrEnd' && c === ']') { stack.pop(); pos++; state = 'after'; break; }
        if (c === '{') { stack.push('o'); pos++; state = 'keyOrEnd'; break; }
        if (c === '[') { stack.push('a'); pos++; state = 'valueOrEnd'; break; }
        if (c === '"') { pos = scanString(text, pos); state = 'after'; break; }
        if (c === '-' || (c >= '0' && c <= '9')) {
          NUMBER.lastIndex = pos;
          const m = NUMBER.exec(text);
          if (!m) throw new Stop(pos, 'a malformed number');
          pos += m[0].length;
          state = 'after';
          break;
        }
        pos = scanLiteral(text, pos);
        state = 'after';
        break;
      case 'key':
      case 'keyOrEnd':
        if (state === 'keyOrEnd' && c === '}') { stack.pop(); pos++; state = 'after'; break; }
        if (c !== '"') throw new Stop(pos, 'expected a property name in double quotes');
        pos = scanString(text, pos);
        state = 'colon';
        break;
      case 'colon':
        if (c !== ':') throw new Stop(pos, 'expected ":" after a property name');
        pos++;
        state = 'value';
        break;
      case 'after': {
        const top = stack[stack.length - 1];
        if (top === undefined) throw new Stop(pos, 'more text after the JSON value');
        if (c === ',') { pos++; state = top === 'o' ? 'key' : 'value'; break; }
        if (top === 'o' && c === '}') { stack.pop(); pos++; break; }
        if (top === 'a' && c === ']') { stack.pop(); pos++; break; }
        throw new Stop(pos, top === 'o' ? 'expected "," or "}"' : 'expected "," or "]"');
      }
    }
  }
}

/** The first syntax error of `text` as JSON, or undefined when it is JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  try {
    scan(text);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < e.offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 0x0a) { line++; lineStart = i + 1; }
    }
    return { offset: e.offset, line, column: e.offset - lineStart + 1, what: e.what };
  }
}

/** "unexpected character at line 1, column 1", with nothing of the text in it. */
export function describeJsonSyntaxError(text: string): string {
  const p = findJsonSyntaxError(text);
  if (!p) return 'it is not valid JSON';
  if (p.what === 'it is empty') return p.what;
  return `${p.what} at line ${p.line}, column ${p.column}`;
}
