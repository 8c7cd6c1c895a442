/**
 * The Helm chart rendered by a real helm (built from the Go module proxy by scripts/helm.sh):
 * `helm lint` passes, and `helm template` with the default (kwok) values and with the aws values
 * gives a Deployment of 2 leader-electing replicas, a PodDisruptionBudget, a metrics Service on the
 * container's metrics port, RBAC without wildcards, and environment variables that are the
 * controller's own settings, which the controller's option parser accepts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateCrds } from '../apis/crds/index.js';
import { OPERATOR_FLAGS, parseOperatorOptions } from '../operator/options.js';
import type { Rendered, TemplateOptions } from '../test/helm.js';
import { CHART_DIR, ensureHelm, HelmError, helmLint, helmTemplate } from '../test/helm.js';
import { deploymentEnv } from './fixtures.js';

const AWS_VALUES = join(CHART_DIR, 'ci', 'aws-values.yaml');
const NS = 'autoscaling';

interface Container {
  name: string; image: string; env: { name: string }[]; ports: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet: { port: string | number } }; readinessProbe?: { httpGet: { port: string | number } };
}
interface PodSpec { serviceAccountName: string; containers: Container[]; securityContext?: { runAsNonRoot?: boolean } }
interface DeploymentDoc { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }
interface Rule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }

const one = (docs: readonly Rendered[], kind: string): Rendered => {
  const found = docs.filter((d) => d.kind === kind);
  assert.equal(found.length, 1, `one ${kind} (got ${found.map((d) => d.metadata.name).join(', ') || 'none'})`);
  return found[0]!;
};
const controller = (docs: readonly Rendered[]): Container => {
  const c = (one(docs, 'Deployment') as unknown as DeploymentDoc).spec.template.spec.containers;
  assert.equal(c.length, 1);
  return c[0]!;
};

const rulesOf = (docs: readonly Rendered[]): Rule[] =>
  docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role').flatMap((d) => (d as unknown as { rules: Rule[] }).rules);

const grants = (rules: readonly Rule[], group: string, resource: string, verb: string): boolean =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

/** Every string anywhere in a value. */
const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v !== null && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];

const FLAG_ENVS = new Set(Object.values(OPERATOR_FLAGS).map((f) => f.env));
/**
 * Settings the chart does not expose, on purpose: in a pod the controller uses its service
 * account (no kubeconfig or context), and it must listen on the pod's address for the probes and
 * the metrics Service.
 */
const NOT_IN_CHART = new Set(['KUBECONFIG', 'KUBE_CONTEXT', 'BIND_ADDRESS']);

describe('the Helm chart (helm lint and helm template)', () => {
  before(async () => {
    await ensureHelm();
  });

  for (const [what, o] of [['default (kwok) values', {}], ['the aws values', { valuesFiles: [AWS_VALUES] }]] as [string, TemplateOptions][]) {
    it(`passes helm lint --strict with ${what}`, async () => {
      const res = await helmLint(o);
      assert.equal(res.code, 0, `helm lint failed:\n${res.stdout}\n${res.stderr}`);
      assert.match(res.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  describe('with the default values (kwok)', () => {
    let docs: Rendered[];
    before(async () => {
      docs = await helmTemplate({ namespace: NS });
    });

    it('runs 2 replicas with leader election on, the Lease in the release namespace, one identity per pod', () => {
      const d = one(docs, 'Deployment') as unknown as DeploymentDoc;
      assert.equal(d.spec.replicas, 2);
      const env = deploymentEnv(docs, { name: 'nodewright-abc', namespace: NS });
      assert.equal(env.LEADER_ELECT, 'true');
      assert.equal(env.LEADER_ELECTION_NAMESPACE, NS);
      assert.equal(env.LEADER_ELECTION_IDENTITY, 'nodewright-abc');
      const role = docs.find((x) => x.kind === 'Role' && x.metadata.name.endsWith('-leader-election'));
      assert.equal(role?.metadata.namespace, NS, 'the leader election Role is where the Lease is');
    });

    it('has a PodDisruptionBudget over the controller pods that leaves one running', () => {
      const pdb = one(docs, 'PodDisruptionBudget') as unknown as { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
      const d = one(docs, 'Deployment') as unknown as DeploymentDoc;
      assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
      assert.ok(pdb.spec.maxUnavailable < d.spec.replicas);
    });

    it("has a metrics Service on the container's metrics port, which is the port the controller serves", () => {
      const svc = one(docs, 'Service') as unknown as { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] } };
      const c = controller(docs);
      const d = one(docs, 'Deployment') as unknown as DeploymentDoc;
      assert.equal(svc.spec.ports.length, 1);
      const sp = svc.spec.ports[0]!;
      const target = c.ports.find((p) => p.name === sp.targetPort || p.containerPort === sp.targetPort);
      assert.ok(target, `targetPort ${String(sp.targetPort)} is a container port`);
      assert.equal(target.name, 'metrics');
      assert.equal(sp.port, target.containerPort);
      const env = deploymentEnv(docs, { name: 'p', namespace: NS });
      assert.equal(Number(env.METRICS_PORT), target.containerPort, 'METRICS_PORT is the container port');
      const health = c.ports.find((p) => p.name === 'health');
      assert.equal(Number(env.HEALTH_PROBE_PORT), health?.containerPort);
      assert.equal(c.livenessProbe?.httpGet.port, 'health');
      assert.equal(c.readinessProbe?.httpGet.port, 'health');
      for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(d.spec.template.metadata.labels[k], v, `the Service selects the pods (${k})`);
    });

    it("has no '*' anywhere in its RBAC, and binds it to the Deployment's service account", () => {
      const rbac = docs.filter((d) => ['ClusterRole', 'Role'].includes(d.kind));
      assert.ok(rbac.length >= 2);
      for (const r of rbac) {
        assert.ok(!strings(r).some((s) => s.includes('*')), `${r.kind} ${r.metadata.name} has a wildcard`);
        for (const rule of (r as unknown as { rules: Rule[] }).rules) assert.ok(rule.verbs.length > 0 && rule.resources.length > 0);
      }
      const sa = one(docs, 'ServiceAccount');
      assert.equal((one(docs, 'Deployment') as unknown as DeploymentDoc).spec.template.spec.serviceAccountName, sa.metadata.name);
      for (const b of docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding')) {
        assert.deepEqual((b as unknown as { subjects: unknown[] }).subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NS }]);
      }
      const rules = rulesOf(docs);
      assert.ok(grants(rules, '', 'nodes', 'create'), 'kwok launches create Nodes');
      assert.ok(!grants(rules, 'karpenter.k8s.aws', 'ec2nodeclasses', 'get'), 'kwok reads no EC2NodeClass');
      assert.ok(!grants(rules, '', 'pods/binding', 'create'), 'kube-scheduler binds (binding: scheduler)');
    });

    it('passes only real controller settings as env vars, and the controller accepts them as its own defaults', () => {
      const c = controller(docs);
      for (const e of c.env) assert.ok(FLAG_ENVS.has(e.name), `${e.name} is not a nodewright setting`);
      assert.equal(new Set(c.env.map((e) => e.name)).size, c.env.length, 'no variable twice');
      const env = deploymentEnv(docs, { name: 'p', namespace: NS });
      const parsed = parseOperatorOptions([], env);
      assert.equal(parsed.kind, 'options');
      const defaults = parseOperatorOptions([], { CLOUD_PROVIDER: 'kwok' });
      assert.equal(defaults.kind, 'options');
      const chartOwn = new Set(['leaderElectionNamespace', 'leaderElectionIdentity']);
      for (const [key, value] of Object.entries(defaults.options)) {
        if (chartOwn.has(key)) continue;
        assert.deepEqual(parsed.options[key as keyof typeof parsed.options], value, `the chart's default ${key} is the controller's`);
      }
    });

    it('runs unprivileged', () => {
      const d = one(docs, 'Deployment') as unknown as DeploymentDoc;
      assert.equal(d.spec.template.spec.securityContext?.runAsNonRoot, true);
      assert.equal(controller(docs).securityContext?.allowPrivilegeEscalation, false);
      assert.equal(controller(docs).securityContext?.readOnlyRootFilesystem, true);
    });

    it('installs the generated CRDs', async () => {
      const withCrds = await helmTemplate({ namespace: NS, includeCrds: true });
      const crds = withCrds.filter((d) => d.kind === 'CustomResourceDefinition');
      assert.deepEqual(crds.map((c) => c.metadata.name).sort(), generateCrds().map((f) => f.crd.metadata.name).sort());
      for (const crd of generateCrds().map((f) => f.crd)) {
        assert.deepEqual(crds.find((x) => x.metadata.name === crd.metadata.name), JSON.parse(JSON.stringify(crd)) as unknown);
      }
    });
  });

  describe('with the aws values', () => {
    let docs: Rendered[];
    before(async () => {
      docs = await helmTemplate({ namespace: NS, valuesFiles: [AWS_VALUES] });
    });

    it('passes the aws settings, which the controller accepts, and annotates the service account for IAM', () => {
      const env = deploymentEnv(docs, { name: 'p', namespace: NS });
      for (const name of Object.keys(env)) assert.ok(FLAG_ENVS.has(name), `${name} is not a nodewright setting`);
      const parsed = parseOperatorOptions([], env);
      assert.equal(parsed.kind, 'options');
      assert.equal(parsed.options.cloudProvider, 'aws');
      assert.equal(parsed.options.awsRegion, 'eu-west-1');
      assert.equal(parsed.options.kubernetesVersion, '1.34');
      assert.equal(parsed.options.clusterName, 'prod-eu');
      const sa = one(docs, 'ServiceAccount') as unknown as { metadata: { annotations?: Record<string, string> } };
      assert.match(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '', /^arn:aws:iam::/);
      assert.equal((one(docs, 'Deployment') as unknown as DeploymentDoc).spec.replicas, 2);
    });

    it('grants EC2NodeClass access and none of the kwok-only rights, without wildcards', () => {
      const rules = rulesOf(docs);
      assert.ok(grants(rules, 'karpenter.k8s.aws', 'ec2nodeclasses', 'get'));
      assert.ok(grants(rules, 'karpenter.k8s.aws', 'ec2nodeclasses/status', 'patch'));
      assert.ok(!grants(rules, '', 'nodes', 'create'), 'on aws the kubelet registers Nodes');
      assert.ok(!grants(rules, '', 'pods/status', 'patch'));
      assert.ok(!docs.some((d) => d.metadata.namespace === 'kube-node-lease'), 'no node Lease Role');
      for (const r of docs.filter((d) => ['ClusterRole', 'Role'].includes(d.kind))) assert.ok(!strings(r).some((s) => s.includes('*')));
    });
  });

  it('renders every controller setting it exposes as that setting\'s variable', async () => {
    const docs = await helmTemplate({ namespace: NS, valuesFiles: [AWS_VALUES], set: ['settings.awsEndpointUrl=http://127.0.0.1:5000', 'settings.binding=direct'] });
    const names = new Set(controller(docs).env.map((e) => e.name));
    const missing = [...FLAG_ENVS].filter((e) => !NOT_IN_CHART.has(e) && !names.has(e));
    assert.deepEqual(missing, [], 'every setting has a value in the chart');
    assert.ok(grants(rulesOf(docs), '', 'pods/binding', 'create'), 'binding: direct may bind pods');
    const env = deploymentEnv(docs, { name: 'p', namespace: NS });
    const parsed = parseOperatorOptions([], env);
    assert.equal(parsed.kind, 'options');
    assert.equal(parsed.options.binding, 'direct');
  });

  it('refuses values the controller would refuse, naming the setting', async () => {
    const cases: [string[], RegExp][] = [
      [['cloudProvider=aws'], /settings\.clusterEndpoint is required when cloudProvider is aws/],
      [['cloudProvider=gcp'], /cloudProvider must be aws or kwok/],
      [['settings.batchIdelDuration=1s'], /settings\.batchIdelDuration is not a nodewright setting/],
      [['leaderElection.enabled=false'], /leaderElection\.enabled must be true with more than one replica/],
    ];
    for (const [set, message] of cases) {
      await assert.rejects(helmTemplate({ set }), (e: unknown) => e instanceof HelmError && message.test(e.message), set.join(','));
    }
  });
});
