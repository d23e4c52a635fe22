import type { Route } from '../server.js';
import { componentRoutes } from './components.js';
import { extensionRoutes } from './extensions.js';
import { miscRoutes } from './misc.js';
import { sessionRoutes } from './sessions.js';
import { templateRoutes } from './templates.js';
import { tenantRoutes } from './tenants.js';

/** Every route bosd serves under /v2 and /apis/bos/v2: BOS v2's, then bosctl's extensions. */
export const routes: Route[] = [...miscRoutes, ...templateRoutes, ...sessionRoutes, ...componentRoutes, ...extensionRoutes, ...tenantRoutes];
