/**
 * The Signature V4 signer against AWS's published examples:
 * - the S3 "Example: GET Object" of "Signature Calculations for the Authorization Header"
 *   (Amazon S3 API reference, sig-v4-header-based-auth): examplebucket, test.txt,
 *   Range bytes=0-9, 20130524T000000Z;
 * - "get-vanilla" of the Signature Version 4 test suite (AWS General Reference);
 * - the IAM ListUsers example of "Create a signed AWS API request" (20150830T123600Z).
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_PAYLOAD_SHA256,
  amzDate,
  canonicalQuery,
  canonicalUri,
  sha256Hex,
  signRequest,
  signingKey,
  uriEncode,
} from '../../src/integrations/sigv4.js';

const S3_CREDS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const SUITE_CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('AWS S3 documented example: GET Object', () => {
  const signed = signRequest(
    { method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', headers: { Range: 'bytes=0-9' } },
    S3_CREDS,
    { region: 'us-east-1', service: 's3', now: new Date(Date.UTC(2013, 4, 24, 0, 0, 0)) },
  );

  it('canonical request, as the documentation prints it', () => {
    expect(signed.canonicalRequest).toBe([
      'GET',
      '/test.txt',
      '',
      'host:examplebucket.s3.amazonaws.com',
      'range:bytes=0-9',
      'x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date:20130524T000000Z',
      '',
      'host;range;x-amz-content-sha256;x-amz-date',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ].join('\n'));
  });

  it('string to sign', () => {
    expect(signed.stringToSign).toBe([
      'AWS4-HMAC-SHA256',
      '20130524T000000Z',
      '20130524/us-east-1/s3/aws4_request',
      '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    ].join('\n'));
  });

  it('signature and Authorization header', () => {
    expect(signed.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(signed.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
      + 'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, '
      + 'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(signed.headers['x-amz-date']).toBe('20130524T000000Z');
    expect(signed.headers['x-amz-content-sha256']).toBe(EMPTY_PAYLOAD_SHA256);
  });
});

describe('AWS Signature Version 4 test suite: get-vanilla', () => {
  it('reproduces the suite\'s signature', () => {
    const signed = signRequest(
      { method: 'GET', url: 'https://example.amazonaws.com/' },
      SUITE_CREDS,
      { region: 'us-east-1', service: 'service', now: new Date('2015-08-30T12:36:00Z') },
    );
    expect(signed.canonicalRequest).toBe('GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n' + EMPTY_PAYLOAD_SHA256);
    expect(signed.stringToSign).toBe('AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
    expect(signed.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });
});

describe('AWS documented example: IAM ListUsers', () => {
  it('reproduces the documented signature (query string and content-type signed)', () => {
    const signed = signRequest(
      {
        method: 'GET',
        url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      },
      SUITE_CREDS,
      { region: 'us-east-1', service: 'iam', now: new Date('2015-08-30T12:36:00Z') },
    );
    expect(sha256Hex(signed.canonicalRequest)).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
    expect(signed.signature).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
  });

  it('derives the documented signing key', () => {
    expect(signingKey(SUITE_CREDS.secretAccessKey, '20150830', 'us-east-1', 'iam').toString('hex'))
      .toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  });
});

describe('the pieces', () => {
  it('amzDate is UTC YYYYMMDDTHHMMSSZ', () => {
    expect(amzDate(new Date('2024-02-29T23:59:58.123Z'))).toBe('20240229T235958Z');
  });

  it('uriEncode keeps only unreserved characters (and "/" when asked), upper-case hex, UTF-8', () => {
    expect(uriEncode('a b+c*~._-/é')).toBe('a%20b%2Bc%2A~._-%2F%C3%A9');
    expect(uriEncode('dir/file name', true)).toBe('dir/file%20name');
  });

  it('S3 canonical URI: encoded once, not normalized; other services: normalized, encoded twice', () => {
    expect(canonicalUri('/bucket/a%20b//./c', 's3')).toBe('/bucket/a%20b//./c');
    expect(canonicalUri('/documents and settings/', 'service')).toBe('/documents%2520and%2520settings/');
    expect(canonicalUri('/example/../foo/./bar', 'service')).toBe('/foo/bar');
  });

  it('canonical query: sorted by name then value, AWS-encoded, empty values kept as "="', () => {
    expect(canonicalQuery('?b=2&a=2&a=1&c')).toBe('a=1&a=2&b=2&c=');
    expect(canonicalQuery('x=a%20b&y=c+d')).toBe('x=a%20b&y=c%2Bd');
  });

  it('a session token is sent and signed as x-amz-security-token', () => {
    const signed = signRequest({ method: 'GET', url: 'http://127.0.0.1:9000/b/k' }, { ...S3_CREDS, sessionToken: 'tok' },
      { region: 'us-east-1', service: 's3', now: new Date(0) });
    expect(signed.headers['x-amz-security-token']).toBe('tok');
    expect(signed.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,');
    expect(signed.headers.host).toBe('127.0.0.1:9000');
  });

  it('never puts the secret key in what it returns', () => {
    const signed = signRequest({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt' }, S3_CREDS,
      { region: 'us-east-1', service: 's3', now: new Date(0) });
    expect(JSON.stringify(signed)).not.toContain(S3_CREDS.secretAccessKey);
  });
});
