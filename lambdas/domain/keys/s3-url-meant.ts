/**
 * The `s3://` URL a location was meant as when it is written otherwise: `S3://b/k` (any case but
 * `s3`) or `s3:/b/k` (a slash short). Readers would take the text as a local path (`s3:/b/k`: "no
 * such file") or refuse it without the fix; each of them (convert-rdb -o, the RDB readers) names
 * this URL instead. Undefined for a location that is no such slip (a proper `s3://` URL included).
 */
export function s3UrlMeant(location: string): string | undefined {
  const slip = /^s3:\/\/?(?!\/)/i.exec(location);
  if (!slip) return undefined;
  const meant = `s3://${location.slice(slip[0].length)}`;
  return meant === location ? undefined : meant;
}

/** ` (an S3 object is written <meant>)` for a location {@link s3UrlMeant} reads as a slip, else empty: the tail of a "cannot read" line. */
export function s3UrlHint(location: string): string {
  const meant = s3UrlMeant(location);
  return meant ? `; an S3 object is written ${meant}` : '';
}

/** `write it as <meant>` for a slip ({@link s3UrlMeant}), else `write S3 locations as <form>`: the fix of a location refused as an S3 URL. */
export function s3UrlFix(location: string, form: string): string {
  const meant = s3UrlMeant(location);
  return meant ? `write it as ${meant}` : `write S3 locations as ${form}`;
}
