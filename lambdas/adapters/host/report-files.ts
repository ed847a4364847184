import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './textfile.js';

/** Where the report goes: any of an HTML file, a JSON file, a folder of CSV files. */
export interface ReportOutputs {
  readonly html?: string;
  readonly json?: string;
  readonly csvDir?: string;
}

/**
 * Writes each file whole or not at all (a temporary name, then a rename),
 * then reads it back and compares: a file that does not read back as
 * written throws, naming it. Returns the paths written, in order.
 */
export async function writeReportFiles(files: readonly { readonly path: string; readonly text: string }[]): Promise<string[]> {
  const written: string[] = [];
  for (const { path, text } of files) {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text);
    if ((await readFile(path, 'utf8')) !== text) throw new Error(`${path} did not read back as written`);
    written.push(path);
  }
  return written;
}

/** The files of `outputs` for the rendered report. */
export function reportFiles(outputs: ReportOutputs, html: string, json: string, csv: Readonly<Record<string, string>>): { path: string; text: string }[] {
  return [
    ...(outputs.html ? [{ path: outputs.html, text: html }] : []),
    ...(outputs.json ? [{ path: outputs.json, text: json }] : []),
    ...(outputs.csvDir ? Object.entries(csv).map(([name, text]) => ({ path: join(outputs.csvDir!, name), text })) : []),
  ];
}
