import { NAME_PATTERN } from '../core/template.js';
import type { BootSet } from '../core/types.js';
import { schemeOf } from '../services/artifacts.js';
import type { TemplateBody } from '../services/templates.js';
import type { Prompter } from './prompt.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

const NODE_FIELDS = [
  { value: 'node_roles_groups', name: 'roles', description: 'Role or Role_SubRole, e.g. Compute' },
  { value: 'node_groups', name: 'inventory groups', description: 'e.g. gpu' },
  { value: 'node_list', name: 'a list of nodes', description: 'xnames, e.g. x1000c0s0b0n0,x1000c0s0b0n1' },
] as const;

/**
 * The questions of `sessiontemplate create NAME` on a terminal with neither --file nor quick
 * flags: one boot set (an image manifest, or a kernel and initrd), its nodes and the CFS
 * configuration. Returns the body; the caller shows it and stores it through the same
 * validation as a file.
 */
export async function askTemplate(ask: Prompter, defaults: { description?: string } = {}): Promise<TemplateBody> {
  const bootSet = await ask.input('Boot set name', {
    default: 'compute',
    check: (v) => (NAME_PATTERN.test(v) ? undefined : 'use letters, digits, ".", "-" and "_", beginning and ending with a letter or digit'),
  });
  const bs: BootSet = {};
  const source = await ask.select('Boot artifacts from', [
    { value: 'manifest', name: 'an image manifest', description: 'BOS\'s way: s3://BUCKET/KEY/manifest.json, an http(s) URL or a file' },
    { value: 'kernel', name: 'a kernel and an initrd', description: 'bosctl\'s extension, for sites without S3' },
  ], 'manifest');
  if (source === 'manifest') {
    bs.path = await ask.input('Image manifest path', {
      required: true,
      check: (v) => (schemeOf(v) ? undefined : 'give s3://BUCKET/KEY, an http(s):// URL, a file:// URL or an absolute path'),
    });
    bs.type = schemeOf(bs.path);
    const provider = await ask.input('Root filesystem provider (sbps, cpss3; empty for none)');
    if (provider) {
      bs.rootfs_provider = provider;
      const passthrough = await ask.input('Root filesystem provider passthrough (e.g. dvs:api-gw-service-nmn.local:300:hsn0,nmn0:0; empty for none)');
      if (passthrough) bs.rootfs_provider_passthrough = passthrough;
    }
  } else {
    bs.kernel = await ask.input('Kernel path', { required: true });
    bs.initrd = await ask.input('Initrd path', { required: true });
  }
  bs.kernel_parameters = await ask.input('Kernel parameters (empty for none)');
  const field = await ask.select('Which nodes', NODE_FIELDS, 'node_roles_groups');
  const label = NODE_FIELDS.find((f) => f.value === field)!;
  bs[field] = list(await ask.input(`Nodes: ${label.name}, comma-separated (${label.description})`, {
    required: true,
    check: (v) => (list(v).length > 0 ? undefined : 'name at least one'),
  }));
  const configuration = await ask.input('CFS configuration name (empty for none)');
  const enableCfs = configuration ? await ask.confirm('Apply the CFS configuration after boot (enable_cfs)?', true) : false;
  const description = await ask.input('Description (empty for none)', { default: defaults.description });
  return {
    ...(description ? { description } : {}),
    boot_sets: { [bootSet]: bs },
    ...(configuration ? { cfs: { configuration } } : {}),
    enable_cfs: enableCfs,
  };
}
