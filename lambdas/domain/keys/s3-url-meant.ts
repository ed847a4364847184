/**
 * The `s3://` URL a location was meant as when it is written otherwise: `S3://b/k` (any case but `s3`),
 * `s3:/b/k` (a slash short), `s3:///b/k` (one too many), `s3:b/k` (no slash), `s3//b/k` (no colon), or
 * ` s3://b/k` (whitespace before it, from a copy-paste). Readers would take the text as a local path
 * (`s3:/b/k`: "no such file"; `convert-rdb -o s3:b/k` a file in a folder `s3:b`) or refuse it without the
 * fix; each of them (convert-rdb -o, the RDB readers) names this URL instead, and only where the local path
 * does not exist (a file named so is read as a file). Undefined for a location that is no such slip (a
 * proper `s3://` URL included).
 *
 * The forms that `s3:/` and `s3://` begin with are read as slips whatever follows; the others (no colon, no
 * slash, three slashes, a leading space) only when a `<bucket>/<key>` follows, a bucket's name being lower
 * case letters, digits, dots and hyphens. `s3/b/k` and `s3b/k` are left alone: ordinary relative paths.
 */
export function s3UrlMeant(location: string): string | undefined {
  const text = location.trimStart();
  const slip = /^s3(:?)(\/{0,3})/i.exec(text);
  if (!slip) return undefined;
  const [, colon, slashes] = slip;
  const rest = text.slice(slip[0].length);
  if (rest.startsWith('/') || (colon === '' && slashes!.length < 2)) return undefined;
  const bucketKey = /^[a-z0-9][a-z0-9.-]*\/./.test(rest);
  const slashShort = colon === ':' && (slashes!.length === 1 || slashes!.length === 2) && text === location;
  if (!bucketKey && !slashShort) return undefined;
  const meant = `s3://${rest}`;
  return meant === location ? undefined : meant;
}

/**
 * The local path a `file:///<path>` (or `file://localhost/<path>`) URL names, percent-escapes decoded, else undefined.
 * redis-dr reads and writes files by their path; `backup` prints its locations as such URLs, and `--from` takes a
 * folder as one, so a file's URL pasted where a path goes is named with the path to give. None for an encoded slash
 * or NUL (`%2F`, `%00`): no file is named so (Node's fileURLToPath refuses both), and decoded they named another path.
 */
export function fileUrlPath(location: string): string | undefined {
  const m = /^file:\/\/(?:localhost)?(\/.*)$/i.exec(location.trim());
  if (!m || /%2f|%00/i.test(m[1]!)) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}

/**
 * The tail of a "cannot read <location>: no such file" line: `; an S3 object is written <meant>` for a location
 * {@link s3UrlMeant} reads as a slip, `; a local file is given by its path: <path>` for a file URL
 * ({@link fileUrlPath}), else empty.
 */
export function noSuchFileHint(location: string): string {
  const meant = s3UrlMeant(location);
  if (meant) return `; an S3 object is written ${meant}`;
  const path = fileUrlPath(location);
  return path ? `; a local file is given by its path: ${path}` : '';
}

/** `write it as <meant>` for a slip ({@link s3UrlMeant}), else `write S3 locations as <form>`: the fix of a location refused as an S3 URL. */
export function s3UrlFix(location: string, form: string): string {
  const meant = s3UrlMeant(location);
  return meant ? `write it as ${meant}` : `write S3 locations as ${form}`;
}
