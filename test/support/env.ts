import { afterAll, beforeAll } from 'vitest';

/**
 * Puts the environment back as the file found it once the file is done:
 * for files whose code under test sets variables at import or in its handler
 * (the Lambda entry points set Powertools' and the SDK's defaults), since the
 * worker of project `shared` runs other files after this one.
 */
export function restoreEnvAfterFile(): void {
  let before: Record<string, string | undefined> = {};
  beforeAll(() => {
    before = { ...process.env };
  });
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in before)) delete process.env[k];
    for (const [k, v] of Object.entries(before)) if (v !== undefined) process.env[k] = v;
  });
}
