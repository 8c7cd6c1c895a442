/**
 * One StatefulSet of the scenario and the StatefulSet controller behind it: a StatefulSet object,
 * one PersistentVolume per ordinal bound to its zone (node affinity on
 * topology.kubernetes.io/zone, as a zonal disk has) with its PersistentVolumeClaim bound to it, and
 * pods `<name>-<ordinal>` mounting claim `data-<name>-<ordinal>`, so the volume's zone constrains
 * where each pod may run.
 *
 * Pods are managed OrderedReady, the default policy: ordinal i is created only once every lower
 * ordinal is Running and Ready, and a missing pod is recreated (same name) once the old one is
 * fully gone. A finished pod is deleted to be recreated.
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod, StatefulSet } from '../../apis/core.js';
import { ZONE_LABEL } from '../../apis/labels.js';
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import type { StatefulSetSpec } from '../scenario/types.js';
import { ZONAL_STORAGE_CLASS } from './annotations.js';
import type { ClusterView } from './cluster-view.js';
import { CoalescedTask } from './coalesced-task.js';
import type { ErrorLog } from './errors.js';
import { controllerRef } from './owned-pods.js';
import { isPodReady, podStage } from './pod-facts.js';

export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
const CSI_DRIVER = 'ebs.csi.aws.com';

/** The claim name of an ordinal's volume. */
export function claimName(set: string, ordinal: number): string {
  return `data-${set}-${ordinal}`;
}

export class StatefulSetStandIn {
  readonly spec: StatefulSetSpec;
  readonly stats = { created: 0 };
  readonly #view: ClusterView;
  readonly #task: CoalescedTask;
  /** Pod names created and not yet seen by the informer. */
  readonly #creating = new Set<string>();
  #uid: string | undefined;

  constructor(view: ClusterView, spec: StatefulSetSpec, errors: ErrorLog) {
    this.spec = spec;
    this.#view = view;
    this.#task = new CoalescedTask(view.clock, () => this.#reconcile(), (e) => errors.report(`reconciling statefulset ${spec.namespace}/${spec.name}`, e));
  }

  get uid(): string | undefined {
    return this.#uid;
  }

  /**
   * Creates the volumes and the StatefulSet object and starts ordinal 0.
   * @throws KubeError from the API server.
   */
  async create(): Promise<void> {
    const { name, namespace, template, replicas } = this.spec;
    for (let i = 0; i < this.spec.volumeZones.length; i++) await this.#createVolume(i, this.spec.volumeZones[i]!);
    const labels = { ...(template.metadata?.labels ?? {}) };
    const set: StatefulSet = {
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name, namespace, labels },
      spec: { replicas, serviceName: name, selector: { matchLabels: labels }, template },
    };
    this.#uid = (await this.#view.kube.create('StatefulSet', set)).metadata.uid;
    this.#task.request();
  }

  /** Told about every event of a pod this StatefulSet controls. */
  onPod(_old: Pod | undefined, pod: Pod, kind: 'add' | 'update' | 'delete'): void {
    if (kind === 'add') this.#creating.delete(pod.metadata.name ?? '');
    this.#task.request();
  }

  stop(): void {
    this.#task.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#task.isIdle(horizonMs);
  }

  async #reconcile(): Promise<void> {
    const uid = this.#uid;
    if (uid === undefined) return;
    const { name, namespace, replicas } = this.spec;
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      const pod = this.#view.pods.getByName(podName, namespace);
      if (!pod) {
        if (this.#creating.has(podName)) return;
        this.#creating.add(podName);
        try {
          await this.#view.kube.create('Pod', this.#newPod(uid, i));
          this.stats.created++;
        } catch (e) {
          this.#creating.delete(podName);
          // The old pod is still being removed: its deletion event brings us back.
          if (!isAlreadyExists(e)) throw e;
        }
        return;
      }
      const stage = podStage(pod);
      if (stage === 'finished') {
        await this.#view.kube.delete('Pod', podName, namespace, { preconditions: { uid: pod.metadata.uid ?? '' } }).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
        return;
      }
      if (stage !== 'running' || !isPodReady(pod)) return;
    }
  }

  async #createVolume(ordinal: number, zone: string): Promise<void> {
    const { name, namespace, volumeSize } = this.spec;
    const claim = claimName(name, ordinal);
    const pvName = `${namespace}-${claim}`;
    const storage = String(volumeSize);
    const pv: PersistentVolume = {
      apiVersion: 'v1', kind: 'PersistentVolume',
      metadata: { name: pvName, labels: { [ZONE_LABEL]: zone } },
      spec: {
        capacity: { storage },
        accessModes: ['ReadWriteOnce'],
        storageClassName: ZONAL_STORAGE_CLASS,
        claimRef: { namespace, name: claim },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [zone] }] }] } },
        csi: { driver: CSI_DRIVER, volumeHandle: `vol-${pvName}` },
      },
    };
    const pvc: PersistentVolumeClaim = {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { name: claim, namespace, labels: { ...(this.spec.template.metadata?.labels ?? {}) } },
      spec: { storageClassName: ZONAL_STORAGE_CLASS, volumeName: pvName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
    };
    const kube = this.#view.kube;
    await kube.create('PersistentVolume', pv);
    await kube.patchStatus('PersistentVolume', pvName, { status: { phase: 'Bound' } });
    await kube.create('PersistentVolumeClaim', pvc);
    await kube.patchStatus('PersistentVolumeClaim', claim, { status: { phase: 'Bound' } }, namespace);
  }

  #newPod(uid: string, ordinal: number): Pod {
    const { name, namespace, template } = this.spec;
    const podName = `${name}-${ordinal}`;
    const spec = structuredClone(template.spec);
    if (ordinal < this.spec.volumeZones.length) {
      spec.volumes = [...(spec.volumes ?? []), { name: 'data', persistentVolumeClaim: { claimName: claimName(name, ordinal) } }];
    }
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: podName,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), [STATEFULSET_POD_NAME_LABEL]: podName, [POD_INDEX_LABEL]: String(ordinal) },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [controllerRef('apps/v1', 'StatefulSet', name, uid)],
      },
      spec,
    };
  }
}
