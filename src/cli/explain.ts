/**
 * `nodewright explain --from RESULT.json [--strategy nodewright|cluster-autoscaler]
 * (pod NAMESPACE/NAME | node NAME | savings)`: answers from the decision log a
 * `nodewright simulate --json` run wrote. Exit 0 with an answer (or a message saying nothing
 * matched), 2 for bad input (usage, a missing, unreadable or invalid file, a strategy not in it, a pod
 * or node no decision names).
 */
import { parseArgs } from 'node:util';
import { decisionsOf, explainNode, explainPod, explainSavings, Machines, machinesOf, parseResult, ResultFileError } from '../sim/explain/index.js';
import type { Answer } from '../sim/explain/index.js';
import { presentStrategies, STRATEGY_NAMES, type SimulationResult, type StrategyName, type StrategyResult, type TimeSample } from '../sim/result.js';
import { EXIT_BAD_INPUT, EXIT_OK, type CliIo } from './io.js';

export const EXPLAIN_USAGE = `Usage: nodewright explain --from RESULT.json [--strategy S] QUESTION

Answers from the decision log of a "nodewright simulate SCENARIO --json RESULT.json" run.

Questions:
  pod NAMESPACE/NAME   why the pod was pending (per NodePool and constraint) and what followed;
                       where it was planned (which NodeClaim, which instance type and why, the
                       alternatives rejected), and what later moved it
  node NAME            a machine's story under its NodeClaim or its Node name (both, when the
                       result links them): when and why it was launched, what was planned onto
                       it, why it was not consolidated (do-not-disrupt, PodDisruptionBudget,
                       disruption budget, no cheaper replacement...), or when it was
                       consolidated, replaced, expired, drifted or interrupted, with the cost
  savings              what consolidation saved in $/h, what more it could save at the end (the gap
                       to the LP lower bound), and the nodes still kept, with their price and why

A pod or node that no decision names is reported as bad input (exit code 2).

Options:
  --from FILE          the simulation result (JSON; "-" reads standard input)
  --strategy S         nodewright or cluster-autoscaler (default: nodewright when the file has it)
  -h, --help           this text
`;

/** The strategy's last sample, when the file has a well-formed one (the loader does not check the series). */
function lastSample(r: StrategyResult | undefined): TimeSample | undefined {
  const samples: unknown = (r as { series?: { samples?: unknown } } | undefined)?.series?.samples;
  const last: unknown = Array.isArray(samples) ? samples.at(-1) : undefined;
  if (typeof last !== 'object' || last === null) return undefined;
  const { t, costPerHour, lowerBoundCostPerHour } = last as Record<string, unknown>;
  return typeof t === 'number' && typeof costPerHour === 'number' && typeof lowerBoundCostPerHour === 'number' ? last as TimeSample : undefined;
}

function badInput(io: CliIo, message: string, withUsage = false): number {
  io.stderr(`nodewright explain: ${message}\n${withUsage ? `\n${EXPLAIN_USAGE}` : ''}`);
  return EXIT_BAD_INPUT;
}

/** The strategy to answer for, or the problem with the one asked for. */
function pickStrategy(result: SimulationResult, asked: string | undefined, file: string): { strategy: StrategyName } | { problem: string } {
  const present = presentStrategies(result);
  if (asked === undefined) {
    const first = present[0];
    return first ? { strategy: first } : { problem: `${file} holds no strategy's results` };
  }
  const known = STRATEGY_NAMES.find((n) => n === asked);
  if (!known) return { problem: `--strategy: must be ${STRATEGY_NAMES.join(' or ')}, got "${asked}"` };
  if (!present.includes(known)) return { problem: `${file} holds no ${asked} results (it has: ${present.join(', ') || 'none'})` };
  return { strategy: known };
}

/** Runs `explain` with the arguments after its name; returns the exit code. Throws only on a bug. */
export async function runExplain(args: readonly string[], io: CliIo): Promise<number> {
  let values: { from?: string; strategy?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { from: { type: 'string' }, strategy: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return badInput(io, err instanceof Error ? err.message : String(err), true);
  }
  if (values.help) {
    io.stdout(EXPLAIN_USAGE);
    return EXIT_OK;
  }
  const [question, subject, ...extra] = positionals;
  const needsSubject = question === 'pod' || question === 'node';
  if (question === undefined || !['pod', 'node', 'savings'].includes(question)) {
    return badInput(io, question === undefined ? 'ask a question: pod, node or savings' : `unknown question "${question}"`, true);
  }
  if ((needsSubject && subject === undefined) || (!needsSubject && subject !== undefined) || extra.length > 0) {
    return badInput(io, needsSubject ? `"${question}" takes exactly one name` : '"savings" takes no name', true);
  }
  if (question === 'pod' && !/^[^/\s]+\/[^/\s]+$/.test(subject!)) return badInput(io, `pod: give NAMESPACE/NAME, got "${subject}"`);
  if (values.from === undefined) return badInput(io, '--from RESULT.json is required', true);
  const file = values.from;
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (err) {
    return badInput(io, `reading ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let result: SimulationResult;
  try {
    result = parseResult(text, file);
  } catch (err) {
    if (err instanceof ResultFileError) return badInput(io, err.message);
    throw err;
  }
  const picked = pickStrategy(result, values.strategy, file);
  if ('problem' in picked) return badInput(io, picked.problem);
  const s = picked.strategy;
  const decisions = decisionsOf(result, s);
  const machines = new Machines(decisions, machinesOf(result, s));
  let answer: Answer;
  if (question === 'pod') answer = explainPod(decisions, subject!, s, result.strategies[s]?.pendingAtEnd, machines);
  else if (question === 'node') answer = explainNode(decisions, subject!, s, machines);
  else answer = explainSavings(decisions, s, lastSample(result.strategies[s]), machines);
  // An unknown pod or node is bad input (a typo, or a name from another run); "nothing saved" is an answer.
  if (!answer.matched && question !== 'savings') return badInput(io, answer.text.trimEnd());
  io.stdout(answer.text);
  return EXIT_OK;
}
