import { describe, expect, it } from 'vitest';
import { commandWord } from '../../src/cli/main.js';

describe('the command word (apply-staged gets a program with only itself)', () => {
  it('skips global options and their values', () => {
    expect(commandWord(['--db', 'x.db', 'apply-staged', 'nid1'])).toBe('apply-staged');
    expect(commandWord(['-o', 'json', '--server', 'unix:///s', 'apply-staged'])).toBe('apply-staged');
    expect(commandWord(['-q', '--no-color', 'session', 'list'])).toBe('session');
  });

  it('a name that happens to be "apply-staged" is not the command', () => {
    expect(commandWord(['sessiontemplate', 'create', 'apply-staged', '--file', 'f'])).toBe('sessiontemplate');
    expect(commandWord(['--db', 'apply-staged', 'options', 'list'])).toBe('options');
  });

  it('no command: undefined', () => {
    expect(commandWord(['--version'])).toBeUndefined();
    expect(commandWord([])).toBeUndefined();
  });
});
