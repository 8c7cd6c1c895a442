/** Answers `nodewright explain` questions from a simulation result's decision logs. */
export { decisionsOf, parseResult, ResultFileError } from './load.js';
export { explainNode } from './node.js';
export { explainPod, type Answer } from './pod.js';
export { explainSavings, savingsOf, SAVING_KINDS, type Savings } from './savings.js';
