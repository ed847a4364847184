/**
 * Redis's SCAN/KEYS glob (`stringmatchlen`) on key bytes: `*` any run, `?`
 * one byte, `[abc]`, `[^abc]`, `[a-z]` classes, `\x` the byte x literally.
 * Compiled once to a regular expression over the key's latin1 text (one
 * character per byte), so binary keys match as Redis matches them.
 */
export function compileGlob(pattern: string): (key: Buffer) => boolean {
  const p = Buffer.from(pattern).toString('latin1');
  let re = '';
  const lit = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < p.length) re += lit(p[++i]!);
    else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (p[j] === '^') {
        negate = true;
        j++;
      }
      let cls = '';
      for (; j < p.length && p[j] !== ']'; j++) {
        if (p[j] === '\\' && j + 1 < p.length) cls += lit(p[++j]!);
        else if (p[j + 1] === '-' && j + 2 < p.length && p[j + 2] !== ']') {
          // Redis accepts a reversed range (z-a) as a-z.
          const [a, b] = [p[j]!, p[j + 2]!].sort();
          cls += `${lit(a!)}-${lit(b!)}`;
          j += 2;
        } else cls += lit(p[j]!);
      }
      // An unterminated class runs to the end of the pattern, as in Redis.
      re += cls === '' ? (negate ? '[\\s\\S]' : '(?!)') : `[${negate ? '^' : ''}${cls}]`;
      i = j;
    } else re += lit(c);
  }
  const compiled = new RegExp(`^${re}$`);
  return (key) => compiled.test(key.toString('latin1'));
}
