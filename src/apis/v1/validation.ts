/**
 * Validation of karpenter.sh/v1 NodePools and NodeClaims: everything Karpenter's CRD schema, CEL
 * rules and runtime checks reject, reported all at once with field paths. Also flags fields that
 * moved between v1beta1 and v1, which the API server would otherwise drop without a word.
 */
import { CronError, parseCron } from '../../utils/cron.js';
import { NODEPOOL_LABEL } from '../labels.js';
import {
  BUDGET_DURATION,
  checkAnnotations,
  checkDuration,
  checkInteger,
  checkLabels,
  checkNodeClassRef,
  checkQuantities,
  checkRequirements,
  checkResourceHeader,
  checkTaints,
  childPath,
  describe,
  DURATION,
  DURATION_OR_NEVER,
  isRecord,
  Problems,
} from './validation-fields.js';
import type { RequirementRules, ValidationProblem } from './validation-fields.js';
import { API_VERSION, DISRUPTION_REASONS } from './types.js';

export type { ValidationProblem } from './validation-fields.js';

export const V1_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt', 'Gte', 'Lte'] as const;
const NODEPOOL_KEY_RESTRICTED = `label "${NODEPOOL_LABEL}" is restricted: nodewright sets it to the NodePool's name`;

const NODEPOOL_REQUIREMENTS: RequirementRules = {
  operators: V1_OPERATORS,
  allowMinValues: true,
  forbiddenKeys: new Map([[NODEPOOL_LABEL, NODEPOOL_KEY_RESTRICTED]]),
};
const NODECLAIM_REQUIREMENTS: RequirementRules = { ...NODEPOOL_REQUIREMENTS, forbiddenKeys: new Map() };
const CONSOLIDATION_POLICIES = ['WhenEmpty', 'WhenEmptyOrUnderutilized'];
const BUDGET_NODES = /^((100|[0-9]{1,2})%|[0-9]+)$/;

/** "path: message" per line (just the message for the object itself), for logs and CLI output. */
export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('\n');
}

/**
 * Every problem with a NodePool, in field order. Accepts anything (a parsed manifest of unknown
 * shape included) and never throws; an empty list means Karpenter would accept it too.
 */
export function validateNodePool(nodePool: unknown): ValidationProblem[] {
  const problems = new Problems();
  const spec = checkResourceHeader(nodePool, 'NodePool', API_VERSION, problems, { labelValue: NODEPOOL_LABEL });
  if (!spec) return problems.list;
  checkTemplate(spec.template, 'spec.template', problems);
  checkDisruption(spec.disruption, 'spec.disruption', problems);
  checkQuantities(spec.limits, 'spec.limits', problems);
  checkInteger(spec.weight, 'spec.weight', problems, 1, 100);
  if (checkInteger(spec.replicas, 'spec.replicas', problems, 0) && spec.replicas !== undefined) {
    // Static NodePools (a fixed replica count) only take a node limit and no weight.
    if (isRecord(spec.limits) && Object.keys(spec.limits).some((k) => k !== 'nodes')) {
      problems.add('spec.limits', 'only limits.nodes is supported on a static NodePool (replicas is set)');
    }
    if (spec.weight !== undefined) problems.add('spec.weight', 'is not supported on a static NodePool (replicas is set)');
  }
  return problems.list;
}

/**
 * Every problem with a NodeClaim's spec (requirements may name karpenter.sh/nodepool here, since
 * nodewright writes it). Accepts anything and never throws.
 */
export function validateNodeClaim(nodeClaim: unknown): ValidationProblem[] {
  const problems = new Problems();
  const spec = checkResourceHeader(nodeClaim, 'NodeClaim', API_VERSION, problems, { allowGenerateName: true });
  if (!spec) return problems.list;
  checkClaimSpec(spec, 'spec', problems, NODECLAIM_REQUIREMENTS);
  if (spec.resources !== undefined) {
    if (!isRecord(spec.resources)) problems.add('spec.resources', `must be a mapping, got ${describe(spec.resources)}`);
    else checkQuantities(spec.resources.requests, 'spec.resources.requests', problems);
  }
  return problems.list;
}

function checkTemplate(template: unknown, path: string, problems: Problems): void {
  if (!isRecord(template)) {
    problems.add(path, template === undefined ? 'is required' : `must be a mapping, got ${describe(template)}`);
    return;
  }
  const metadata = template.metadata;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    problems.add(childPath(path, 'metadata'), `must be a mapping, got ${describe(metadata)}`);
  } else if (isRecord(metadata)) {
    checkLabels(metadata.labels, childPath(path, 'metadata', 'labels'), problems, NODEPOOL_REQUIREMENTS.forbiddenKeys);
    checkAnnotations(metadata.annotations, childPath(path, 'metadata', 'annotations'), problems);
  }
  const spec = template.spec;
  if (!isRecord(spec)) {
    problems.add(childPath(path, 'spec'), spec === undefined ? 'is required' : `must be a mapping, got ${describe(spec)}`);
    return;
  }
  checkClaimSpec(spec, childPath(path, 'spec'), problems, NODEPOOL_REQUIREMENTS);
  if (spec.kubelet !== undefined) {
    problems.add(childPath(path, 'spec', 'kubelet'), 'moved out of the NodePool in karpenter.sh/v1: set it on the node class (EC2NodeClass spec.kubelet)');
  }
}

/** The fields a NodePool template spec and a NodeClaim spec share. */
function checkClaimSpec(spec: Record<string, unknown>, path: string, problems: Problems, rules: RequirementRules): void {
  checkTaints(
    [
      { value: spec.taints, path: childPath(path, 'taints') },
      { value: spec.startupTaints, path: childPath(path, 'startupTaints') },
    ],
    problems,
  );
  checkRequirements(spec.requirements, childPath(path, 'requirements'), problems, rules);
  checkNodeClassRef(spec.nodeClassRef, childPath(path, 'nodeClassRef'), problems);
  checkDuration(spec.expireAfter, childPath(path, 'expireAfter'), problems, DURATION_OR_NEVER);
  checkDuration(spec.terminationGracePeriod, childPath(path, 'terminationGracePeriod'), problems, DURATION);
}

function checkDisruption(disruption: unknown, path: string, problems: Problems): void {
  if (disruption === undefined || disruption === null) return;
  if (!isRecord(disruption)) return problems.add(path, `must be a mapping, got ${describe(disruption)}`);
  const policy = disruption.consolidationPolicy;
  if (policy === 'WhenUnderutilized') {
    problems.add(childPath(path, 'consolidationPolicy'), 'WhenUnderutilized was renamed WhenEmptyOrUnderutilized in karpenter.sh/v1');
  } else if (policy === 'Balanced') {
    problems.add(childPath(path, 'consolidationPolicy'), `Balanced (Karpenter 1.14) is not supported yet; use ${CONSOLIDATION_POLICIES.join(' or ')}`);
  } else if (policy !== undefined && (typeof policy !== 'string' || !CONSOLIDATION_POLICIES.includes(policy))) {
    problems.add(childPath(path, 'consolidationPolicy'), `must be one of ${CONSOLIDATION_POLICIES.join(', ')}, got ${describe(policy)}`);
  }
  // Karpenter's CRD demands consolidateAfter whenever a disruption block is present (its 0s default
  // applies only when the block is absent), although its docs call the field optional. A missing
  // value is defaulted to 0s instead of refused.
  checkDuration(disruption.consolidateAfter, childPath(path, 'consolidateAfter'), problems, DURATION_OR_NEVER);
  if (disruption.expireAfter !== undefined) {
    problems.add(childPath(path, 'expireAfter'), 'moved to spec.template.spec.expireAfter in karpenter.sh/v1');
  }
  checkBudgets(disruption.budgets, childPath(path, 'budgets'), problems);
}

function checkBudgets(budgets: unknown, path: string, problems: Problems): void {
  if (budgets === undefined || budgets === null) return;
  if (!Array.isArray(budgets)) return problems.add(path, `must be a list of budgets, got ${describe(budgets)}`);
  if (budgets.length > 50) problems.add(path, `must have at most 50 budgets, got ${budgets.length}`);
  budgets.forEach((budget, i) => {
    const at = childPath(path, i);
    if (!isRecord(budget)) return problems.add(at, `must be a mapping with nodes, got ${describe(budget)}`);
    const { nodes, schedule, duration, reasons } = budget;
    if (nodes !== undefined && (typeof nodes !== 'string' || !BUDGET_NODES.test(nodes))) {
      const hint = typeof nodes === 'number' ? ' (quote it in YAML)' : '';
      problems.add(childPath(at, 'nodes'), `must be a node count such as "5" or a percentage from "0%" to "100%", got ${describe(nodes)}${hint}`);
    }
    if ((schedule === undefined) !== (duration === undefined)) {
      problems.add(at, `schedule and duration must be set together (${schedule === undefined ? 'duration' : 'schedule'} is set alone)`);
    }
    if (schedule !== undefined) {
      if (typeof schedule !== 'string') problems.add(childPath(at, 'schedule'), `must be a cron string, got ${describe(schedule)}`);
      else {
        try {
          parseCron(schedule);
        } catch (e) {
          if (!(e instanceof CronError)) throw e;
          problems.add(childPath(at, 'schedule'), e.message);
        }
      }
    }
    checkDuration(duration, childPath(at, 'duration'), problems, BUDGET_DURATION);
    checkReasons(reasons, childPath(at, 'reasons'), problems);
  });
}

function checkReasons(reasons: unknown, path: string, problems: Problems): void {
  if (reasons === undefined || reasons === null) return;
  if (!Array.isArray(reasons)) return problems.add(path, `must be a list of reasons, got ${describe(reasons)}`);
  if (reasons.length > 50) problems.add(path, `must have at most 50 reasons, got ${reasons.length}`);
  const seen = new Set<unknown>();
  reasons.forEach((reason, i) => {
    if (typeof reason !== 'string' || !(DISRUPTION_REASONS as readonly string[]).includes(reason)) {
      problems.add(childPath(path, i), `must be one of ${DISRUPTION_REASONS.join(', ')}, got ${describe(reason)}`);
    } else if (seen.has(reason)) problems.add(childPath(path, i), `duplicates "${reason}"`);
    seen.add(reason);
  });
}
