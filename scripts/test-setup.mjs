// Loaded into every test process (node --import) by run-tests.mjs.
// Property tests draw from one fixed seed, so a run is repeatable and CI cannot go red on a draw
// nobody can replay. NW_FC_SEED=<integer> picks another seed; NW_FC_SEED=random draws a fresh one
// per run (fast-check prints it with any counterexample) to explore beyond the fixed draws.
import fc from 'fast-check';

const wanted = process.env.NW_FC_SEED;
if (wanted !== 'random') {
  const seed = wanted === undefined || wanted === '' ? 20261130 : Number(wanted);
  if (!Number.isInteger(seed)) {
    console.error(`NW_FC_SEED must be an integer or "random", got ${JSON.stringify(wanted)}`);
    process.exit(2);
  }
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
