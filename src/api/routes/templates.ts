import { bosError } from '../../core/errors.js';
import type { SessionTemplate } from '../../core/types.js';
import { createTemplate, deleteTemplate, getTemplate, listTemplates, templateCheck, updateTemplate, type TemplateBody } from '../../services/templates.js';
import { requireObject } from '../query.js';
import type { Route } from '../server.js';

/** What GET /sessiontemplatetemplate answers: a template to start from. */
export const EXAMPLE_TEMPLATE: SessionTemplate = {
  name: 'name-your-template',
  description: 'Template for booting compute nodes',
  enable_cfs: true,
  cfs: { configuration: 'desired-cfs-config' },
  boot_sets: {
    compute: {
      kernel_parameters: 'console=ttyS0,115200 bad_page=panic crashkernel=360M hugepagelist=2m-2g intel_iommu=off',
      node_roles_groups: ['Compute'],
      path: 's3://boot-images/e06530f1-fde2-4ca5-9148-7e84f4857d17/manifest.json',
      type: 's3',
      etag: 'etag-of-the-manifest',
      rootfs_provider: 'sbps',
      rootfs_provider_passthrough: 'sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.my-system.my-site-domain:300',
      arch: 'X86',
    },
  },
};

export const templateRoutes: Route[] = [
  { method: 'GET', path: '/sessiontemplates', perm: 'admin', handler: ({ ctx }) => ({ status: 200, body: listTemplates(ctx) }) },
  { method: 'GET', path: '/sessiontemplates/:id', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: getTemplate(ctx, params.id) }) },
  {
    method: 'PUT', path: '/sessiontemplates/:id', perm: 'admin',
    handler: ({ params, body, ctx }) => ({ status: 200, body: createTemplate(ctx, params.id, requireObject(body, 'session template') as unknown as TemplateBody, true), changed: true }),
  },
  {
    method: 'PATCH', path: '/sessiontemplates/:id', perm: 'admin',
    handler: ({ params, body, ctx }) => ({ status: 200, body: updateTemplate(ctx, params.id, requireObject(body, 'session template patch')), changed: true }),
  },
  {
    method: 'DELETE', path: '/sessiontemplates/:id', perm: 'admin',
    handler: ({ params, ctx }) => { deleteTemplate(ctx, params.id); return { status: 204, changed: true }; },
  },
  {
    method: 'GET', path: '/sessiontemplatesvalid/:id', perm: 'admin',
    handler: async ({ params, ctx }) => {
      const problems = await templateCheck(ctx, getTemplate(ctx, params.id));
      return { status: 200, body: problems.length === 0 ? 'Valid' : `Session template '${params.id}': ${problems.join('; ')}` };
    },
  },
  { method: 'GET', path: '/sessiontemplatetemplate', perm: 'public', handler: () => ({ status: 200, body: EXAMPLE_TEMPLATE }) },
  {
    // bosctl's extension: check a template that is not stored (sessiontemplate validate --file).
    method: 'POST', path: '/sessiontemplatesvalid', perm: 'admin',
    handler: async ({ body, ctx }) => {
      const t = requireObject(body, 'session template') as unknown as SessionTemplate;
      if (typeof t.name !== 'string') throw bosError('BOS_VALUE_INVALID', 'the template to check needs a "name"');
      const problems = await templateCheck(ctx, t);
      return { status: 200, body: { name: t.name, valid: problems.length === 0, problems } };
    },
  },
];
