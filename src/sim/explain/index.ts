/** Answers `nodewright explain` questions from a simulation result's decision logs. */
export { decisionsOf, machinesOf, parseResult, ResultFileError } from './load.js';
export { Machines, type Machine, type MachineRecord } from './machines.js';
export { explainNode } from './node.js';
export { explainPod, type Answer } from './pod.js';
export { explainSavings, keptNodes, savingsOf, SAVING_KINDS, type KeptNode, type Savings } from './savings.js';
export { compactDecisions, DEFAULT_MAX_ENTRIES_PER_SUBJECT, subjectOf, weightOf } from './compact.js';
export { resultDecisions, toLoggedDecision } from './record.js';
