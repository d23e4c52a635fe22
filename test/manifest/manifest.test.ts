/**
 * Image manifest parsing, by BOS's rules. Each case cites the BOS code it follows
 * (Cray-HPE/bos, src/bos/common/clients/s3/s3.py and boot_image_meta_data.py).
 */
import { describe, expect, it } from 'vitest';
import { BosError } from '../../src/core/errors.js';
import {
  ARTIFACT_TYPES,
  MAX_MANIFEST_BYTES,
  artifactRows,
  parseManifest,
  parseManifestJson,
} from '../../src/core/manifest.js';
import { INITRD, KERNEL, PARAMS, ROOTFS, imsManifest } from './helpers.js';

const SRC = { path: 's3://boot-images/abc/manifest.json', bootSet: 'compute' };

function errorOf(fn: () => unknown): BosError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BosError);
    const err = e as BosError;
    expect(err.message).not.toMatch(/\n/);
    return err;
  }
  throw new Error('expected an error');
}

/** An artifact; etag 'omit' leaves the etag key out. */
const art = (type: string, path: string, etag: unknown = 'e') =>
  ({ type, link: etag === 'omit' ? { path, type: 's3' } : { path, etag, type: 's3' } });

describe('parseManifest: what a boot set takes from an IMS manifest', () => {
  it('finds kernel, initrd, rootfs and boot parameters with their links', () => {
    const img = parseManifest(imsManifest('abc'), SRC);
    expect(img.kernel).toEqual({ path: 's3://boot-images/abc/kernel', etag: 'kernel-etag-abc', type: 's3' });
    expect(img.initrd).toEqual({ path: 's3://boot-images/abc/initrd', etag: 'initrd-etag-abc', type: 's3' });
    expect(img.rootfs).toEqual({ path: 's3://boot-images/abc/rootfs', etag: 'rootfs-etag-abc', type: 's3' });
    expect(img.bootParameters).toEqual({ path: 's3://boot-images/abc/boot_parameters', etag: 'params-etag-abc', type: 's3' });
    expect(img.warnings).toEqual([]);
  });

  it('uses the IMS artifact type names', () => {
    expect(ARTIFACT_TYPES).toEqual({ kernel: KERNEL, initrd: INITRD, rootfs: ROOTFS, bootParameters: PARAMS });
  });

  it('ignores artifacts of other types (e.g. IMS debug kernels, other rootfs formats)', () => {
    const text = JSON.stringify({ artifacts: [art(KERNEL, 's3://b/k'), art(INITRD, 's3://b/i'), art('application/vnd.cray.image.rootfs.ext4', 's3://b/x')] });
    const img = parseManifest(text, SRC);
    expect(img.rootfs).toBeUndefined();
    expect(img.bootParameters).toBeUndefined();
  });

  it('a rootfs or boot-parameters etag of null is no etag (BOS: link["etag"] is None)', () => {
    const text = JSON.stringify({ artifacts: [art(KERNEL, 's3://b/k'), art(INITRD, 's3://b/i'), art(ROOTFS, 's3://b/r', null), art(PARAMS, 's3://b/p', null)] });
    const img = parseManifest(text, SRC);
    expect(img.rootfs).toEqual({ path: 's3://b/r', type: 's3' });
    expect(img.bootParameters).toEqual({ path: 's3://b/p', type: 's3' });
  });

  // boot_image_meta_data.py BootImageMetadata.__init__ only warns about a missing initrd,
  // and validate_boot_artifacts raises BootSetWarning (not BootSetError) for it.
  it('no initrd: a warning naming the boot set and the manifest, not an error', () => {
    const img = parseManifest(imsManifest('abc', { omit: ['initrd'] }), SRC);
    expect(img.initrd).toBeUndefined();
    expect(img.warnings).toEqual([
      'boot set "compute": image manifest s3://boot-images/abc/manifest.json has no initrd artifact (type application/vnd.cray.image.initrd): the nodes get an empty initrd',
    ]);
  });

  it('no rootfs and no boot parameters are fine by themselves', () => {
    const img = parseManifest(imsManifest('abc', { omit: ['rootfs', 'params'] }), SRC);
    expect(img.rootfs).toBeUndefined();
    expect(img.bootParameters).toBeUndefined();
    expect(img.warnings).toEqual([]);
  });
});

describe('parseManifest: errors are one line naming the boot set and the manifest', () => {
  // s3.py S3BootArtifacts.manifest_json: json.loads(...) fails.
  it('not JSON', () => {
    const e = errorOf(() => parseManifest('<html>not found</html>', SRC));
    expect(e.code).toBe('BOS_TEMPLATE_INVALID');
    // The text itself is never quoted: the file may be one the caller may not read.
    expect(e.message).toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json is not a valid image manifest (JSON): unexpected character at line 1, column 1');
  });

  it('empty', () => {
    expect(errorOf(() => parseManifest('', SRC)).message).toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json is not a valid image manifest (JSON): it is empty');
  });

  // manifest_json: "Manifest should be dict".
  it('JSON that is not an object', () => {
    expect(errorOf(() => parseManifest('[1,2]', SRC)).message).toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json is a list, not a JSON object');
  });

  // _get_artifact: self.manifest_json['artifacts'] (KeyError).
  it('no artifacts list', () => {
    expect(errorOf(() => parseManifest('{"version": "1.0"}', SRC)).message).toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json has no "artifacts" list');
    expect(errorOf(() => parseManifest('{"artifacts": {}}', SRC)).message).toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json has "artifacts" that is an object, not a list');
  });

  // _get_artifact reads artifact['type'] of every artifact.
  it('an artifact without a type', () => {
    expect(errorOf(() => parseManifest(JSON.stringify({ artifacts: [art(KERNEL, 's3://b/k'), { link: { path: 's3://b/x' } }] }), SRC)).message)
      .toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json has artifact 2 without a "type"');
  });

  // session_setup.py: artifact_info['kernel'] fails when the summary has no kernel.
  it('no kernel artifact', () => {
    const e = errorOf(() => parseManifest(imsManifest('abc', { omit: ['kernel'] }), SRC));
    expect(e.code).toBe('BOS_TEMPLATE_INVALID');
    expect(e.message).toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json has no kernel artifact (type application/vnd.cray.image.kernel)');
  });

  // s3.py _get_artifact: TooManyArtifacts("Multiple ... artifacts found in the manifest").
  it.each([
    ['kernel', KERNEL],
    ['initrd', INITRD],
    ['rootfs', ROOTFS],
    ['boot parameters', PARAMS],
  ])('several %s artifacts', (_name, type) => {
    const others = [art(KERNEL, 's3://b/k'), art(INITRD, 's3://b/i')].filter((a) => a.type !== type);
    const artifacts = [...others, art(type, 's3://b/one'), art(type, 's3://b/two')];
    expect(errorOf(() => parseManifest(JSON.stringify({ artifacts }), SRC)).message)
      .toBe(`boot set "compute": image manifest s3://boot-images/abc/manifest.json has 2 ${type} artifacts: expected one`);
  });

  // boot_image_meta_data.py: self.kernel['link']['path'] (KeyError).
  it('a kernel without link.path', () => {
    expect(errorOf(() => parseManifest(JSON.stringify({ artifacts: [{ type: KERNEL, link: { etag: 'x' } }] }), SRC)).message)
      .toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json has an artifact of type application/vnd.cray.image.kernel without a "link.path"');
  });

  // boot_image_meta_data.py: rootfs_etag reads self.rootfs['link']['etag'] (KeyError).
  it('a rootfs without a link.etag key', () => {
    const artifacts = [art(KERNEL, 's3://b/k'), art(INITRD, 's3://b/i'), art(ROOTFS, 's3://b/r', 'omit')];
    expect(errorOf(() => parseManifest(JSON.stringify({ artifacts }), SRC)).message)
      .toBe('boot set "compute": image manifest s3://boot-images/abc/manifest.json has an artifact of type application/vnd.cray.image.rootfs.squashfs without a "link.etag" (BOS needs it, even if null)');
  });

  it('read on its own (bosctl image inspect): BOS_FILE_INVALID, no boot set named', () => {
    const e = errorOf(() => parseManifest('nope', { path: '/srv/m.json' }));
    expect(e.code).toBe('BOS_FILE_INVALID');
    expect(e.message).toMatch(/^image manifest \/srv\/m\.json is not a valid image manifest \(JSON\): /);
  });

  it('a manifest may be up to 1 MiB, as BOS\'s MAX_MANIFEST_SIZE_BYTES', () => {
    expect(MAX_MANIFEST_BYTES).toBe(1048576);
  });
});

describe('artifactRows: what bosctl image inspect shows', () => {
  it('type, path, etag, link type and md5 per artifact, in manifest order', () => {
    const rows = artifactRows(parseManifestJson(imsManifest('abc', { omit: ['params'] }), SRC));
    expect(rows).toEqual([
      { type: KERNEL, path: 's3://boot-images/abc/kernel', etag: 'kernel-etag-abc', linkType: 's3', md5: 'md5-kernel-abc' },
      { type: INITRD, path: 's3://boot-images/abc/initrd', etag: 'initrd-etag-abc', linkType: 's3', md5: 'md5-initrd-abc' },
      { type: ROOTFS, path: 's3://boot-images/abc/rootfs', etag: 'rootfs-etag-abc', linkType: 's3', md5: 'md5-rootfs-abc' },
    ]);
  });
});
