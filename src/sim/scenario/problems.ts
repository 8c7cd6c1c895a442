/** What is wrong with a scenario file, located by file, line and field path. */

/** One problem with a scenario file. Any problem makes the scenario unusable. */
export interface ScenarioProblem {
  readonly file: string;
  /** 1-based line of the field (or of its nearest ancestor present in the file). */
  readonly line: number;
  /** Field path inside the scenario: "workload.deployments[1].replicas[0].count"; "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** `burst.yaml:42: workload.deployments[1].replicas[0].count: must be a non-negative integer, got -3`. */
export function formatScenarioProblem(p: ScenarioProblem): string {
  return p.path === '' ? `${p.file}:${p.line}: ${p.message}` : `${p.file}:${p.line}: ${p.path}: ${p.message}`;
}

/** Raised by loadScenario when the file cannot be read at all (its content is never the cause). */
export class ScenarioLoadError extends Error {
  readonly file: string;
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScenarioLoadError';
    this.file = file;
  }
}

/** Raised by {@link assertValid} for a scenario with problems; the message lists them all. */
export class InvalidScenarioError extends Error {
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[]) {
    const file = problems[0]?.file ?? 'scenario';
    super(`reading scenario ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map(formatScenarioProblem).join('\n')}`);
    this.name = 'InvalidScenarioError';
    this.problems = problems;
  }
}

/**
 * The scenario of a parse result.
 * @throws InvalidScenarioError listing every problem when there are any.
 */
export function assertValid<T>(result: { readonly scenario: T | undefined; readonly problems: readonly ScenarioProblem[] }): T {
  if (result.problems.length > 0 || result.scenario === undefined) throw new InvalidScenarioError(result.problems);
  return result.scenario;
}
