/** `--lossy` as `convert-rdb` and `migrate --from-rdb` take it. */
import { LOSS_KINDS, type LossKind } from '../../domain/rdb/write/losses.js';
import { UsageError } from '../kernel/usage-error.js';

/** `--lossy a,b`: the losses named, each one of {@link LOSS_KINDS}. */
export function parseLossy(list: string | undefined): ReadonlySet<LossKind> {
  const out = new Set<LossKind>();
  for (const item of (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(LOSS_KINDS as readonly string[]).includes(item))
      throw new UsageError(`--lossy ${item}: not a loss redis-dr knows; one or more of ${LOSS_KINDS.join(', ')}, comma-separated`);
    out.add(item as LossKind);
  }
  return out;
}
