/** The seeded PRNG of the project (also used by the demo's dataset): one definition, in the domain. */
export { mulberry32 } from '../../lambdas/domain/keys/prng.js';
