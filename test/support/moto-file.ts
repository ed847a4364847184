import { afterAll, beforeAll } from 'vitest';
import { type MotoS3, startMotoS3 } from './moto.js';

/**
 * One moto for the test file (started before its tests, stopped after them): the server, once started. Apart from
 * moto.ts, which bench scripts import outside vitest.
 */
export function motoForFile(): () => MotoS3 {
  let moto: MotoS3 | undefined;
  beforeAll(async () => {
    moto = await startMotoS3();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });
  return () => {
    if (!moto) throw new Error('moto is not started yet (motoForFile: its beforeAll has not run)');
    return moto;
  };
}
