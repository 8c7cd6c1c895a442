/**
 * The simulation scenario: its YAML format (README-format.md), the parser and validator, and the
 * normalised Scenario the engine consumes (types.ts).
 */
export type * from './types.js';
export { parseScenario, loadScenario, DEFAULT_SEED, DEFAULT_START_TIME, MAX_HORIZON_MS, type ParseResult } from './parse.js';
export { formatScenarioProblem, assertValid, InvalidScenarioError, ScenarioLoadError, type ScenarioProblem } from './problems.js';
export { sampleDistribution, meanOf } from './distribution.js';
export { replicasAt, replicaChanges, peakReplicas } from './replicas.js';
export { globMatches } from './instance-types.js';
export { CONTAINER_NAME, BUILTIN_PRIORITY_CLASSES } from './read-pod.js';
export { DEFAULT_LAUNCH_DELAY, DEFAULT_REGISTRATION_DELAY, DEFAULT_POD_START_DELAY, DEFAULT_INTERRUPTION_NOTICE_MS } from './read-cluster.js';
export { DERIVED_MAX_SIZE, derivedGroupName } from './derive-node-groups.js';
