import { resolve as resolvePath } from 'node:path';
import { Command } from 'commander';
import type { ArtifactRow, ImageManifest } from '../../core/manifest.js';
import type { S3Client } from '../../integrations/s3.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printList, type ResourceView } from '../output/format.js';
import { printResult } from '../output/result.js';

const artifactView: ResourceView<ArtifactRow> = {
  name: (a) => a.path,
  api: (a) => a,
  columns: [
    { header: 'TYPE', value: (a) => a.type },
    { header: 'PATH', value: (a) => a.path || '-' },
    { header: 'ETAG', value: (a) => a.etag || '-' },
    { header: 'LINK TYPE', value: (a) => a.linkType || '-', wide: true },
    { header: 'MD5', value: (a) => a.md5 || '-', wide: true },
  ],
};

/** A local path as a user types it (relative to the current directory); URLs as they are. */
function manifestPath(text: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  return resolvePath(text);
}

export function register(program: Command, deps: CliDeps): void {
  const img = program.command('image').description('boot images: read the image manifests that boot sets name')
    .addHelpText('after', '\nExamples:\n  bosctl image inspect s3://boot-images/3fa85f64/manifest.json\n  bosctl image inspect ./manifest.json -o json');

  defineInspect(img, deps);
}

export function defineInspect(parent: Command, deps: CliDeps, run = runInspect): Command {
  return parent.command('inspect')
    .description('print the artifacts of an image manifest (type, path, etag)')
    .argument('<path>', 's3://BUCKET/KEY, http(s):// URL, file:// URL or a local file')
    .addHelpText('after', `
s3:// paths are read with the S3 configuration of BOSCTL_S3_CONFIG, else
$XDG_CONFIG_HOME/bosctl/s3.yaml, else /etc/bosd/s3.yaml (endpoint, region, access_key,
secret_key; readable by its owner only). -o json prints the manifest with its path and
ETag; problems a boot set would have with it (no kernel, no initrd) go to stderr.
A local manifest must be a regular file of at most 1 MiB; an error never quotes it.

Examples:
  bosctl image inspect s3://boot-images/3fa85f64/manifest.json
  bosctl image inspect s3://boot-images/3fa85f64/manifest.json -o wide
  bosctl image inspect /srv/images/compute-v2/manifest.json -o json`)
    .action(async (path: string, _o: unknown, cmd: Command) => {
      await run({ path }, deps.forCommand(cmd));
    });
}

export async function runInspect(o: { path: string }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const path = o.path;
  const { readManifest } = await import('../../services/artifacts.js');
  const { artifactRows, bootImageOf } = await import('../../core/manifest.js');
  const target = manifestPath(path);
  let client: S3Client | undefined;
  try {
    const read = await readManifest(target, {
      s3: async () => {
        const { s3ClientFromEnv } = await import('../../integrations/s3.js');
        client = await s3ClientFromEnv(deps.env);
        return client;
      },
    });
    const m: ImageManifest = read.manifest;
    const warnings: string[] = [];
    try {
      warnings.push(...bootImageOf(m, { path: target }).warnings);
    } catch (e) {
      warnings.push((e as Error).message);
    }
    const { path: _path, etag: _etag, ...fields } = m;
    await printResult(deps.io, g.output, { path: target, etag: read.etag ?? null, ...fields },
      () => printList(deps.io, artifactView, artifactRows(m), { format: g.output, noHeaders: !g.headers }));
    for (const w of warnings) deps.io.err(`warning: ${w}\n`);
  } finally {
    await client?.close();
  }
}
