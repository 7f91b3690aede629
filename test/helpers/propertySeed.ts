/**
 * Property tests run with a fixed seed in CI (`process.env.CI` set), so a run is reproducible,
 * and with a random one locally, so that new cases keep being tried. fast-check prints the seed
 * (and the path to the counterexample) when a property fails; `FC_SEED` replays one locally.
 */
import fc from 'fast-check';

const FIXED_CI_SEED = 20261126;

const chosen = process.env.FC_SEED ?? (process.env.CI ? String(FIXED_CI_SEED) : undefined);
if (chosen !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(chosen) });
