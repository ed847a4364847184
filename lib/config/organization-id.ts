import { z } from 'zod';
import { says } from './messages.js';

/** An AWS Organizations organization id: `o-` and 10 to 32 lowercase letters or digits (the deployment config's and the org config's `vault.organizationId`). */
export const organizationIdSchema = z
  .string()
  .regex(/^o-[a-z0-9]{10,32}$/, { error: says('must be an organization id like "o-a1b2c3d4e5"', 'aws organizations describe-organization prints it') });
