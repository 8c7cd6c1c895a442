/**
 * Node requirements that come from a pod's volumes: a bound PersistentVolume's node affinity (a zonal
 * disk pins its pod to the zone) and, for a claim not yet bound, its StorageClass's allowedTopologies.
 */
import type { Pod } from '../apis/core.js';
import { Requirement, Requirements } from './requirements.js';
import type { SolverVolumes } from './types.js';

export class VolumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeError';
  }
}

export class VolumeTopology {
  readonly #pvcs = new Map<string, NonNullable<SolverVolumes['persistentVolumeClaims']>[number]>();
  readonly #pvs = new Map<string, NonNullable<SolverVolumes['persistentVolumes']>[number]>();
  readonly #classes = new Map<string, NonNullable<SolverVolumes['storageClasses']>[number]>();

  constructor(volumes: SolverVolumes | undefined, private readonly normalizeKey: (k: string) => string) {
    for (const pvc of volumes?.persistentVolumeClaims ?? []) this.#pvcs.set(`${pvc.metadata.namespace ?? 'default'}/${pvc.metadata.name ?? ''}`, pvc);
    for (const pv of volumes?.persistentVolumes ?? []) this.#pvs.set(pv.metadata.name ?? '', pv);
    for (const sc of volumes?.storageClasses ?? []) this.#classes.set(sc.metadata.name ?? '', sc);
  }

  /**
   * The requirements a node must meet for this pod's volumes; undefined when none.
   * @throws VolumeError when a claim or its volume is missing (the pod cannot start anywhere).
   */
  requirementsFor(pod: Pod): Requirements | undefined {
    let out: Requirements | undefined;
    const namespace = pod.metadata.namespace ?? 'default';
    for (const v of pod.spec.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const pvc = this.#pvcs.get(`${namespace}/${claimName}`);
      if (!pvc) throw new VolumeError(`volume ${v.name}: persistentvolumeclaim ${namespace}/${claimName} not found`);
      const reqs = this.#claimRequirements(pvc.spec.volumeName, pvc.spec.storageClassName, `${namespace}/${claimName}`);
      if (reqs) (out ??= new Requirements()).addAll(reqs);
    }
    return out;
  }

  #claimRequirements(volumeName: string | undefined, className: string | undefined, claim: string): Requirements | undefined {
    if (volumeName) {
      const pv = this.#pvs.get(volumeName);
      if (!pv) throw new VolumeError(`persistentvolumeclaim ${claim} is bound to persistentvolume ${volumeName}, which does not exist`);
      // Several terms are ORed; the first is the one a zonal volume carries.
      const term = pv.spec.nodeAffinity?.required?.nodeSelectorTerms[0];
      if (!term?.matchExpressions?.length) return undefined;
      const r = new Requirements();
      for (const e of term.matchExpressions) r.add(Requirement.fromSelector(this.normalizeKey(e.key), e.operator, e.values));
      return r;
    }
    const sc = className ? this.#classes.get(className) : undefined;
    if (!sc || sc.volumeBindingMode !== 'WaitForFirstConsumer') return undefined;
    const term = sc.allowedTopologies?.[0];
    if (!term?.matchLabelExpressions?.length) return undefined;
    const r = new Requirements();
    for (const e of term.matchLabelExpressions) r.add(Requirement.in(this.normalizeKey(e.key), e.values));
    return r;
  }
}
