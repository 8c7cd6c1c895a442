/**
 * Where interruption notices come from. The interruption controller only knows this interface; the
 * simulated cloud's notifier is the first implementation, an SQS queue fed by EventBridge (spot
 * interruption warnings, scheduled changes, instance state changes, rebalance recommendations) is
 * the AWS one.
 */
export type InterruptionKind =
  /** The spot machine will be reclaimed (EC2: two minutes' notice). */
  | 'SpotInterruption'
  /** Scheduled maintenance will stop or retire the machine. */
  | 'ScheduledChange'
  | 'InstanceStopping'
  | 'InstanceTerminating'
  /** Spot capacity is at elevated risk: an Event, no action (as Karpenter). */
  | 'RebalanceRecommendation';

export interface InterruptionMessage {
  /** Unique per notice (the SQS message id); redeliveries carry the same id. */
  readonly id: string;
  readonly kind: InterruptionKind;
  readonly providerID: string;
  /** When the notice was given (epoch ms). */
  readonly noticeAt: number;
  /** When the machine goes, if the notice says (epoch ms). */
  readonly terminateAt?: number;
}

/**
 * A stream of interruption notices, delivered at least once (handlers must be idempotent). The
 * handler is called synchronously from the source and should only queue work.
 */
export interface InterruptionSource {
  readonly name: string;
  /** Starts delivering to `handler`. @returns a function that stops delivery (idempotent). */
  subscribe(handler: (message: InterruptionMessage) => void): () => void;
}

/**
 * What the simulated cloud offers (SimCloudProvider.onInterruption), stated here structurally:
 * controllers may not import the simulator's modules.
 */
export interface SimInterruptions {
  onInterruption(listener: (event: { readonly providerID: string; readonly noticeAt: number; readonly terminateAt: number }) => void): () => void;
}

/** The simulated cloud's spot interruption notices as an InterruptionSource. */
export function simInterruptionSource(cloud: SimInterruptions): InterruptionSource {
  return {
    name: 'sim',
    subscribe: (handler) => cloud.onInterruption((e) => handler({
      id: `${e.providerID}@${e.noticeAt}`,
      kind: 'SpotInterruption',
      providerID: e.providerID,
      noticeAt: e.noticeAt,
      terminateAt: e.terminateAt,
    })),
  };
}
