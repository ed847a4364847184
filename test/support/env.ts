import { afterAll } from 'vitest';

/**
 * The environment as the test file found it, before its imports ran: taken
 * by test/support/setup.ts in the shared worker (project `shared`).
 */
export const envBeforeFile: { value: Record<string, string> | undefined } = { value: undefined };

/**
 * Puts the environment back as the file found it once the file is done (the
 * state setup.ts took before the file's imports): for files whose code under
 * test sets variables when it loads or in its handler (the Lambda entry points
 * set Powertools' and the SDK's defaults), since the worker of project
 * `shared` runs other files after this one.
 */
export function restoreEnvAfterFile(): void {
  const before = envBeforeFile.value ?? { ...process.env };
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in before)) delete process.env[k];
    for (const [k, v] of Object.entries(before)) if (v !== undefined) process.env[k] = v;
  });
}
