/**
 * A writer bug in source-forms.ts's stream rewrite (type 21 → 19), for the
 * tests that mock that module: the stream written right, then one of its
 * stored ids written one more. A valid type 19 another server loads, after
 * the conversion's digest had the right one.
 *
 * Use it from a `vi.mock` factory (imported there: the factory runs before
 * the test file's imports):
 * `vi.mock(path, async (original) => (await import('…/stream-layout-bug.js')).withStreamLayoutBug(await original(), bug))`.
 */
import { Cursor } from '../../lambdas/domain/rdb/format/value.js';
import { RdbOut } from '../../lambdas/domain/rdb/write/rdb-out.js';
import type * as SourceForms from '../../lambdas/domain/rdb/write/source-forms.js';

/** The ids a type 19 stores beyond what every layout holds, each a length in the object bytes. */
export const STORED_ID_FIELDS = ['first id (ms)', 'first id (seq)', 'max deleted id (ms)', 'max deleted id (seq)', 'entries added', 'entries read'] as const;
export type StoredIdField = (typeof STORED_ID_FIELDS)[number];

/** Where each of {@link STORED_ID_FIELDS} lies in a type 19 or 21 stream's object bytes (the first group's entries read), and its value. */
export function idFields(b: Uint8Array): Map<StoredIdField, { from: number; to: number; value: bigint }> {
  const c = new Cursor(b, 0, b.length);
  for (let nodes = c.length(); nodes > 0; nodes--) c.string(), c.string();
  c.length();
  c.bigLength(), c.bigLength(); // last id
  const at = new Map<StoredIdField, { from: number; to: number; value: bigint }>();
  const field = (f: StoredIdField) => {
    const from = c.at;
    const value = c.bigLength();
    at.set(f, { from, to: c.at, value });
  };
  for (const f of STORED_ID_FIELDS.slice(0, 5)) field(f);
  c.length(); // groups
  c.string();
  c.bigLength(), c.bigLength(); // the group's last id
  field('entries read');
  return at;
}

/** The object bytes `b` with stored id `field` one more. */
export function withIdOneMore(b: Uint8Array, field: StoredIdField): Uint8Array {
  const f = idFields(b).get(field)!;
  return new RdbOut()
    .bytes(b, 0, f.from)
    .len(f.value + 1n)
    .bytes(b, f.to)
    .take();
}

/** What a test sets: the id to write wrong (none: the writer is right), and how many streams were written wrong so far. */
export interface StreamLayoutBug {
  field: StoredIdField | undefined;
  fired: number;
}

/** source-forms.ts whose StreamLayout writes `bug.field` one more while it is set. */
export function withStreamLayoutBug(real: typeof SourceForms, bug: StreamLayoutBug): typeof SourceForms {
  class BuggyLayout extends real.StreamLayout {
    override writeAs(...args: Parameters<InstanceType<typeof real.StreamLayout>['writeAs']>): void {
      const [to, out] = args;
      if (bug.field === undefined) {
        super.writeAs(...args);
        return;
      }
      const written = new RdbOut();
      super.writeAs(to, written);
      const b = withIdOneMore(written.take(), bug.field);
      out.bytes(b, 0, b.length);
      bug.fired++;
    }
  }
  return { ...real, StreamLayout: BuggyLayout };
}
