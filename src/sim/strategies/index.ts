/** The strategies the simulator can run, by name. */
import type { StrategyName } from '../result.js';
import { clusterAutoscalerStrategy } from './cluster-autoscaler.js';
import { nodewrightStrategy } from './nodewright.js';
import type { StrategyFactory } from './strategy.js';

export const STRATEGY_FACTORIES: Readonly<Record<StrategyName, StrategyFactory>> = {
  nodewright: nodewrightStrategy,
  'cluster-autoscaler': clusterAutoscalerStrategy,
};
