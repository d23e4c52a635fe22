import { describe, expect, it } from 'vitest';
import { IntegrationError, describeEndpoint, redact, summarizeErrorBody } from '../../src/integrations/errors.js';
import { DEFAULT_RETRY, chunkByChars, join, parseRetryAfter, resolveRetry, resolveTimeouts, retryDelayMs, serviceBase } from '../../src/integrations/http.js';

describe('retry delays', () => {
  const policy = { attempts: 5, minDelayMs: 100, maxDelayMs: 1000, factor: 3 };
  it('backs off by factor, capped at maxDelayMs', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([100, 300, 900, 1000]);
  });
  it('Retry-After (seconds or HTTP date) wins, capped at maxDelayMs', () => {
    expect(retryDelayMs(policy, 1, '0')).toBe(0);
    expect(retryDelayMs(policy, 3, '0')).toBe(0);
    expect(retryDelayMs({ ...policy, maxDelayMs: 5000 }, 1, '2')).toBe(2000);
    expect(retryDelayMs(policy, 1, '120')).toBe(1000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:02 GMT', now)).toBe(2000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(retryDelayMs(policy, 2, 'soon')).toBe(300);
  });
  it('validates policies and timeouts', () => {
    expect(resolveRetry(undefined)).toEqual(DEFAULT_RETRY);
    expect(resolveRetry({ attempts: 1 }).attempts).toBe(1);
    expect(() => resolveRetry({ attempts: 0 })).toThrow(RangeError);
    expect(resolveTimeouts(50)).toEqual({ connectMs: 50, headersMs: 50, bodyMs: 50 });
    expect(resolveTimeouts({ headersMs: 5 })).toEqual({ connectMs: 10_000, headersMs: 5, bodyMs: 10_000 });
    expect(() => resolveTimeouts(0)).toThrow(RangeError);
  });
});

describe('messages', () => {
  it('summarizes Redfish errors, problem details and other bodies in one line', () => {
    expect(summarizeErrorBody(JSON.stringify({ error: { message: 'ResetType GracefulShutdown is not supported' } }))).toBe('ResetType GracefulShutdown is not supported');
    expect(summarizeErrorBody(JSON.stringify({ error: { '@Message.ExtendedInfo': [{ Message: 'The action is not supported.' }] } }))).toBe('The action is not supported.');
    expect(summarizeErrorBody(JSON.stringify({ error: { message: 'Request failed', '@Message.ExtendedInfo': [{ Message: 'Node is locked.' }] } }))).toBe('Request failed (Node is locked.)');
    expect(summarizeErrorBody(JSON.stringify({ type: 'about:blank', title: 'Bad Request', detail: 'hosts must be a list' }))).toBe('hosts must be a list');
    expect(summarizeErrorBody(JSON.stringify({ title: 'Not Found' }))).toBe('Not Found');
    expect(summarizeErrorBody('<html>\n<body>Bad\ngateway</body>\n</html>')).toBe('<html> <body>Bad gateway</body> </html>');
    const long = summarizeErrorBody('y'.repeat(500));
    expect(long).toBe(`${'y'.repeat(200)}…`);
    expect(summarizeErrorBody('')).toBe('');
  });
  it('endpoints drop credentials and shorten long URLs', () => {
    expect(describeEndpoint('get', 'https://admin:pw@bmc/redfish/v1/')).toBe('GET https://bmc/redfish/v1/');
    const e = describeEndpoint('GET', `http://cfs/cfs/v3/components?ids=${'x'.repeat(400)}`);
    expect(e.length).toBeLessThan(240);
    expect(e).toMatch(/…\(\d+ chars\)$/);
  });
  it('redacts secrets of 4+ characters', () => {
    expect(redact('user root password s3cret! token abcd', ['s3cret!', 'abcd', 'ab', undefined])).toBe('user root password *** token ***');
  });
  it('IntegrationError is one line and serializes without a cause', () => {
    const e = new IntegrationError('BSS: PUT x answered 500\nInternal', { service: 'bss', endpoint: 'PUT x', kind: 'http', status: 500, retryable: false, cause: new Error('inner') });
    expect(e.message).toBe('BSS: PUT x answered 500 Internal');
    expect(String(e)).toBe('IntegrationError: BSS: PUT x answered 500 Internal');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'IntegrationError', message: 'BSS: PUT x answered 500 Internal', service: 'bss', endpoint: 'PUT x', status: 500, kind: 'http', retryable: false, attempts: 1 });
  });
});

describe('urls and batches', () => {
  it('joins paths to a base with a prefix; commas stay literal', () => {
    const b = serviceBase('https://gw/apis/bss/', 'BSS');
    expect(join(b, '/boot/v1/bootparameters', { name: 'a,b' }).href).toBe('https://gw/apis/bss/boot/v1/bootparameters?name=a,b');
    expect(join(serviceBase('http://h:1', 'CFS'), '/cfs/v3/components').href).toBe('http://h:1/cfs/v3/components');
    expect(() => serviceBase('ftp://h', 'BSS')).toThrow(TypeError);
    expect(() => serviceBase('not a url', 'BSS')).toThrow(TypeError);
  });
  it('chunks by characters and by count', () => {
    expect(chunkByChars(['aa', 'bb', 'cc'], 5)).toEqual([['aa', 'bb'], ['cc']]);
    expect(chunkByChars(['aa', 'bb', 'cc'], 100, 2)).toEqual([['aa', 'bb'], ['cc']]);
    expect(chunkByChars(['toolong'], 3)).toEqual([['toolong']]);
    expect(chunkByChars([], 3)).toEqual([]);
  });
});
