/** The strategies the simulator can run, by name. */
import type { StrategyName } from '../result.js';
import { nodewrightStrategy } from './nodewright.js';
import type { StrategyFactory } from './strategy.js';

export const STRATEGY_FACTORIES: Readonly<Record<StrategyName, StrategyFactory>> = {
  nodewright: nodewrightStrategy,
  'cluster-autoscaler': () => {
    throw new Error('the Cluster Autoscaler model is not wired into the simulator yet');
  },
};
