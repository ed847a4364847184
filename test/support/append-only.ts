/**
 * A folder that takes new names but refuses to remove any (chattr +a: the append-only attribute, ext4 and xfs, as
 * root): a real fault for code that links a file under its name and then unlinks its temporary name.
 */
import { execFileSync } from 'node:child_process';

/** Sets (`on`) or clears the append-only attribute of `folder`; throws when it cannot (a file system without it, not root). */
export function appendOnly(folder: string, on: boolean): void {
  execFileSync('chattr', [on ? '+a' : '-a', folder], { stdio: ['ignore', 'ignore', 'pipe'] });
}
