/**
 * A strategy is an autoscaler run beside the embedded cluster: nodewright's controllers or the
 * Cluster Autoscaler model. The engine gives it a world, lets it prepare its initial capacity during
 * the warm-up before t = 0, replays the workload, then asks for its decisions.
 */
import type { LoggedDecision, StrategyName } from '../result.js';
import type { World } from '../engine/world.js';

export interface StrategyRun {
  readonly name: StrategyName;
  /** Starts the autoscaler and asks for the scenario's initial nodes (called at the warm-up's start). */
  prepare(): Promise<void>;
  /** Called at t = 0, when the workload starts (nodewright starts disrupting only then). */
  begin(): void;
  /** Nothing to do within `horizonMs` (for settling tests). */
  isIdle(horizonMs: number): boolean;
  stop(): Promise<void>;
  /** Decisions so far, times in seconds from t = 0. */
  decisions(): LoggedDecision[];
}

export type StrategyFactory = (world: World) => StrategyRun;
