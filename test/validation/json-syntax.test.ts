/**
 * The JSON error locator used for image manifests: it agrees with JSON.parse on what is
 * JSON, and says where the first error is without quoting the text.
 */
import { describe, expect, it } from 'vitest';
import { describeJsonSyntaxError, findJsonSyntaxError } from '../../src/core/json-syntax.js';

describe('findJsonSyntaxError', () => {
  it('locates errors by line and column, with no text quoted', () => {
    expect(describeJsonSyntaxError('root:$6$abc:1')).toBe('unexpected character at line 1, column 1');
    expect(describeJsonSyntaxError('{"a": 1,\n "b": tru}')).toBe('unexpected character at line 2, column 7');
    expect(describeJsonSyntaxError('{"a": 1,}')).toBe('expected a property name in double quotes at line 1, column 9');
    expect(describeJsonSyntaxError('{"a": [1, 2}')).toBe('expected "," or "]" at line 1, column 12');
    expect(describeJsonSyntaxError('{"a": 1} x')).toBe('more text after the JSON value at line 1, column 10');
    expect(describeJsonSyntaxError('{"a": "b')).toBe('a string is never closed at line 1, column 7');
    expect(describeJsonSyntaxError('{"a"')).toBe('the text ends early at line 1, column 5');
    expect(describeJsonSyntaxError('')).toBe('it is empty');
    expect(describeJsonSyntaxError('"a\u0001"')).toBe('a control character inside a string at line 1, column 3');
  });

  it('deep nesting does not overflow the stack', () => {
    expect(findJsonSyntaxError('['.repeat(1_000_000))?.what).toBe('the text ends early');
  });

  it('agrees with JSON.parse on what is JSON (random texts from JSON pieces)', () => {
    const pieces = ['{', '}', '[', ']', ',', ':', '"a"', '"\\u00e9"', '"\\q"', '1', '-', '0.5', '1e', 'true', 'nul', 'null', ' ', '\n', 'x'];
    let seed = 42;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    for (let i = 0; i < 5000; i++) {
      let text = '';
      const len = 1 + rand(8);
      for (let j = 0; j < len; j++) text += pieces[rand(pieces.length)];
      let parses = true;
      try { JSON.parse(text); } catch { parses = false; }
      expect(findJsonSyntaxError(text) === undefined, text).toBe(parses);
    }
  });
});
