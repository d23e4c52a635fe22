/**
 * The kernel command line, with expected strings written out from BOS's rules
 * (Cray-HPE/bos):
 * - order and joining: src/bos/operators/session_setup.py
 *   BaseSession.assemble_kernel_boot_parameters (image params, kernel_parameters, rootfs,
 *   NMD, bos_update_frequency; ' '.join);
 * - image params: session_setup.py _base_boot_param_pieces (text .split(), only when the
 *   boot-parameters artifact has an etag);
 * - root=: src/bos/operators/utils/rootfs/rootfs_provider.py RootfsProvider.__str__
 *   (PROTOCOL, rootfs path, rootfs etag, passthrough joined by ':'; '' when all empty);
 * - nmd_data=: sbps_provider.py SBPSProvider.nmd_field (and the same for cpss3 in
 *   rootfs_provider_with_artifact_info.py before BOS 2.45);
 * - providers: factory.get_provider (absent → base provider; sbps; cpss3 before 2.45;
 *   anything else → ProviderNotImplemented).
 */
import { describe, expect, it } from 'vitest';
import { BosError } from '../../src/core/errors.js';
import { assembleKernelParameters, rootfsParameters, splitWords } from '../../src/core/kernel-params.js';

const ROOTFS = { path: 's3://boot-images/1fb58f4e/rootfs', etag: 'f04af5f34635ae7c507322985e60c00c-131' };
const SBPS_PT = 'sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.my-system.my-site-domain:300';
const DVS_PT = 'dvs:api-gw-service-nmn.local:300:nmn0';

describe('rootfsParameters (rootfs_provider.py __str__, nmd_field)', () => {
  it('sbps with a passthrough: root=sbps-s3:PATH:ETAG:PASSTHROUGH, then nmd_data=url=PATH,etag=ETAG', () => {
    expect(rootfsParameters('sbps', SBPS_PT, ROOTFS)).toBe(
      'root=sbps-s3:s3://boot-images/1fb58f4e/rootfs:f04af5f34635ae7c507322985e60c00c-131:sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.my-system.my-site-domain:300'
      + ' nmd_data=url=s3://boot-images/1fb58f4e/rootfs,etag=f04af5f34635ae7c507322985e60c00c-131');
  });

  it('sbps without a passthrough (or an empty one): no trailing field', () => {
    const want = 'root=sbps-s3:s3://boot-images/1fb58f4e/rootfs:f04af5f34635ae7c507322985e60c00c-131'
      + ' nmd_data=url=s3://boot-images/1fb58f4e/rootfs,etag=f04af5f34635ae7c507322985e60c00c-131';
    expect(rootfsParameters('sbps', undefined, ROOTFS)).toBe(want);
    expect(rootfsParameters('sbps', '', ROOTFS)).toBe(want);
  });

  it('cpss3: the same shape with protocol craycps-s3 (BOS before 2.45)', () => {
    expect(rootfsParameters('cpss3', DVS_PT, ROOTFS)).toBe(
      'root=craycps-s3:s3://boot-images/1fb58f4e/rootfs:f04af5f34635ae7c507322985e60c00c-131:dvs:api-gw-service-nmn.local:300:nmn0'
      + ' nmd_data=url=s3://boot-images/1fb58f4e/rootfs,etag=f04af5f34635ae7c507322985e60c00c-131');
  });

  it('a rootfs etag of null leaves its field empty and drops etag= from nmd_data', () => {
    expect(rootfsParameters('sbps', SBPS_PT, { path: ROOTFS.path })).toBe(
      `root=sbps-s3:s3://boot-images/1fb58f4e/rootfs::${SBPS_PT} nmd_data=url=s3://boot-images/1fb58f4e/rootfs`);
  });

  it('no provider and no passthrough: nothing (fields ["", ""] are all empty)', () => {
    expect(rootfsParameters(undefined, undefined, ROOTFS)).toBe('');
    expect(rootfsParameters(undefined, '', undefined)).toBe('');
  });

  it('no provider but a passthrough: root=::PASSTHROUGH, and no nmd_data (the base provider has none)', () => {
    expect(rootfsParameters(undefined, DVS_PT, ROOTFS)).toBe('root=::dvs:api-gw-service-nmn.local:300:nmn0');
  });

  it('an unknown provider fails (factory.get_provider: ProviderNotImplemented), one line naming the boot set', () => {
    let err: unknown;
    try { rootfsParameters('dvs', undefined, ROOTFS, 'boot set "compute"'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BosError);
    expect((err as BosError).code).toBe('BOS_TEMPLATE_INVALID');
    expect((err as BosError).message).toBe('boot set "compute": unsupported rootfs_provider "dvs": use "sbps" or "cpss3", or leave rootfs_provider out');
  });

  it('sbps with an image without rootfs fails (SBPSProvider reads artifact_info["rootfs"])', () => {
    expect(() => rootfsParameters('sbps', SBPS_PT, undefined, 'boot set "compute"'))
      .toThrow('boot set "compute": rootfs_provider "sbps" needs the image\'s root filesystem, and the boot set\'s image has no rootfs artifact (type application/vnd.cray.image.rootfs.squashfs)');
  });
});

describe('splitWords: Python str.split()', () => {
  it('splits on runs of whitespace, newlines included, and drops empty words', () => {
    expect(splitWords('  console=ttyS0,115200\n\tcrashkernel=360M  \r\n')).toEqual(['console=ttyS0,115200', 'crashkernel=360M']);
    expect(splitWords('   \n')).toEqual([]);
  });

  it('uses Python\'s whitespace, not JavaScript\'s: U+001F and U+0085 split, U+FEFF does not', () => {
    expect(splitWords('a\u001fb\u0085c')).toEqual(['a', 'b', 'c']);
    expect(splitWords('\ufeffa b')).toEqual(['\ufeffa', 'b']);
  });
});

describe('assembleKernelParameters (session_setup.py assemble_kernel_boot_parameters)', () => {
  it('CSM compute boot set: image params, kernel_parameters, root=, nmd_data=, bos_update_frequency', () => {
    const got = assembleKernelParameters({
      imageParameters: 'console=ttyS0,115200 bad_page=panic crashkernel=360M hugepagelist=2m-2g intel_iommu=off\n',
      kernelParameters: 'ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN}',
      rootfsProvider: 'sbps',
      rootfsProviderPassthrough: SBPS_PT,
      rootfs: ROOTFS,
      actualStateTtl: '4h',
    });
    expect(got).toBe(
      'console=ttyS0,115200 bad_page=panic crashkernel=360M hugepagelist=2m-2g intel_iommu=off'
      + ' ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN}'
      + ' root=sbps-s3:s3://boot-images/1fb58f4e/rootfs:f04af5f34635ae7c507322985e60c00c-131:sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.my-system.my-site-domain:300'
      + ' nmd_data=url=s3://boot-images/1fb58f4e/rootfs,etag=f04af5f34635ae7c507322985e60c00c-131'
      + ' bos_update_frequency=4h');
  });

  it('kernel_parameters go in verbatim (not split): their own spacing is kept', () => {
    expect(assembleKernelParameters({ kernelParameters: ' a  b ', actualStateTtl: '1d' })).toBe(' a  b  bos_update_frequency=1d');
  });

  it('image params are split and re-joined by single spaces', () => {
    expect(assembleKernelParameters({ imageParameters: 'a\n\n b\t c', actualStateTtl: '4h' })).toBe('a b c bos_update_frequency=4h');
  });

  it('empty pieces are left out: only bos_update_frequency remains', () => {
    expect(assembleKernelParameters({ imageParameters: '', kernelParameters: '', actualStateTtl: '4h' })).toBe('bos_update_frequency=4h');
  });

  it('a kernel/initrd boot set (no image): kernel_parameters then bos_update_frequency', () => {
    expect(assembleKernelParameters({ kernelParameters: 'console=ttyS0 quiet', actualStateTtl: '2w' })).toBe('console=ttyS0 quiet bos_update_frequency=2w');
  });

  it('no provider, a passthrough: root=:: between kernel_parameters and bos_update_frequency', () => {
    expect(assembleKernelParameters({ kernelParameters: 'quiet', rootfsProviderPassthrough: 'x', rootfs: ROOTFS, actualStateTtl: '4h' }))
      .toBe('quiet root=::x bos_update_frequency=4h');
  });

  it('same input, same string', () => {
    const input = { imageParameters: 'a b', kernelParameters: 'c', rootfsProvider: 'sbps', rootfs: ROOTFS, actualStateTtl: '4h' };
    expect(assembleKernelParameters(input)).toBe(assembleKernelParameters({ ...input }));
  });
});
