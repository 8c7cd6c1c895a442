import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONTROLLER_OPTIONS } from '../controllers/context.js';
import type { OperatorOptions } from './options.js';
import { controllerOptionsFrom, OPERATOR_FLAGS, OptionsError, operatorHelp, parseOperatorOptions } from './options.js';

const BASE = ['--cloud-provider', 'kwok'];

function parse(argv: string[], env: Record<string, string> = {}): OperatorOptions {
  const r = parseOperatorOptions(argv, env);
  assert.equal(r.kind, 'options');
  return r.options;
}

function fails(argv: string[], env: Record<string, string>, message: string | RegExp): void {
  assert.throws(() => parseOperatorOptions(argv, env), (e: unknown) => {
    assert.ok(e instanceof OptionsError, `an OptionsError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('parseOperatorOptions', () => {
  it('gives the documented defaults, equal to the controllers\' defaults where they overlap', () => {
    const o = parse(BASE);
    assert.equal(o.cloudProvider, 'kwok');
    assert.equal(o.binding, 'scheduler');
    assert.equal(o.batchIdleMs, 1000);
    assert.equal(o.batchMaxMs, 10_000);
    assert.equal(o.leaderElect, true);
    assert.equal(o.leaseDurationMs, 15_000);
    assert.equal(o.renewDeadlineMs, 10_000);
    assert.equal(o.retryPeriodMs, 2000);
    assert.equal(o.metricsPort, 8080);
    assert.equal(o.healthProbePort, 8081);
    assert.equal(o.logLevel, 'info');
    assert.equal(o.kubeconfig, undefined);
    assert.equal(o.interruptionQueue, undefined);
    assert.match(o.leaderElectionIdentity, /^.+_[0-9a-f]{8}$/);
    assert.deepEqual(controllerOptionsFrom(o), DEFAULT_CONTROLLER_OPTIONS);
  });

  it('reads flags in both forms, environment variables, and lets a flag win over its variable', () => {
    const env = { BATCH_IDLE_DURATION: '2s', BINDING: 'direct', LEADER_ELECT: 'false', METRICS_PORT: '9090', KUBECONFIG: '/a/config:/b/config' };
    const r = parseOperatorOptions([...BASE, '--batch-idle-duration=50ms', '--log-level', 'debug', '--ignore-preferences'], env);
    assert.equal(r.kind, 'options');
    const o = r.options;
    assert.equal(o.batchIdleMs, 50, 'the flag wins');
    assert.equal(o.binding, 'direct');
    assert.equal(o.leaderElect, false);
    assert.equal(o.metricsPort, 9090);
    assert.equal(o.logLevel, 'debug');
    assert.equal(o.ignorePreferences, true);
    assert.equal(o.kubeconfig, '/a/config', 'the first of several kubeconfig paths');
    assert.equal(r.sources.batchIdleMs, 'flag');
    assert.equal(r.sources.binding, 'env');
    assert.equal(r.sources.batchMaxMs, 'default');
    assert.equal(parse([...BASE, '--leader-elect=false']).leaderElect, false);
    assert.equal(parse(BASE, { CLOUD_PROVIDER: 'aws' }).cloudProvider, 'kwok');
    assert.equal(parse([], { CLOUD_PROVIDER: 'aws', BATCH_IDLE_DURATION: '' }).batchIdleMs, 1000, 'empty variables count as unset');
    assert.ok(Object.isFrozen(o));
  });

  it('refuses bad values, naming the flag or the variable and the value', () => {
    fails([...BASE, '--batch-idle-duration', '1x'], {}, /^--batch-idle-duration: invalid duration "1x"/);
    fails(BASE, { BATCH_MAX_DURATION: 'soon' }, /^BATCH_MAX_DURATION \(--batch-max-duration\): invalid duration "soon"/);
    fails([...BASE, '--binding=kubelet'], {}, '--binding: invalid value "kubelet" (one of scheduler, direct)');
    fails(['--cloud-provider', 'gce'], {}, '--cloud-provider: invalid value "gce" (one of aws, kwok)');
    fails([...BASE, '--metrics-port', '70000'], {}, '--metrics-port: 70000 is out of range 0..65535');
    fails([...BASE, '--metrics-port', '80a'], {}, '--metrics-port: invalid integer "80a"');
    fails([...BASE, '--leader-elect=maybe'], {}, '--leader-elect: invalid boolean "maybe" (use true or false)');
    fails([...BASE, '--cluster-endpoint', 'ftp://x'], {}, '--cluster-endpoint: invalid URL "ftp://x" (need http:// or https://)');
    fails([...BASE, '--cluster-name', 'my cluster'], {}, /^--cluster-name: invalid name "my cluster"/);
    fails([...BASE, '--batch-idle-duration', '0s'], {}, '--batch-idle-duration: duration "0s" must be at least 1ms');
    fails([...BASE, '--interruption-queue', 'my queue'], {}, /^--interruption-queue: invalid queue "my queue"/);
  });

  it('takes the interruption queue as a URL or as a queue name', () => {
    const url = 'https://sqs.us-west-2.amazonaws.com/123456789012/nodewright';
    assert.equal(parse([...BASE, '--interruption-queue', url]).interruptionQueue, url);
    assert.equal(parse(BASE, { INTERRUPTION_QUEUE: 'nodewright-events' }).interruptionQueue, 'nodewright-events');
    assert.equal(parse([...BASE, '--interruption-queue=events.fifo']).interruptionQueue, 'events.fifo');
  });

  it('refuses unknown flags, missing values, positional arguments and an unset provider', () => {
    fails([...BASE, '--bogus'], {}, 'unknown flag --bogus (see --help)');
    fails([...BASE, '--cluster-name'], {}, '--cluster-name: missing value (<name>)');
    fails([...BASE, '--cluster-name', '--leader-elect'], {}, '--cluster-name: missing value (<name>)');
    fails([...BASE, 'extra'], {}, 'unexpected argument "extra" (flags start with --; see --help)');
    fails([], {}, '--cloud-provider: required (or set CLOUD_PROVIDER)');
  });

  it('parses the aws cluster settings from flags or their environment variables, and checks their form', () => {
    const o = parse(['--cloud-provider', 'aws', '--kubernetes-version', '1.31', '--cluster-cidr', '10.100.0.0/16'], {
      CLUSTER_CA_BUNDLE: 'dGVzdCBDQQ==', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_REGION: 'eu-west-1',
    });
    assert.equal(o.kubernetesVersion, '1.31');
    assert.equal(o.clusterCidr, '10.100.0.0/16');
    assert.equal(o.clusterCABundle, 'dGVzdCBDQQ==');
    assert.equal(o.awsEndpointUrl, 'http://127.0.0.1:5000');
    assert.equal(o.awsRegion, 'eu-west-1');
    assert.equal(parse(BASE).kubernetesVersion, undefined);
    fails([...BASE, '--kubernetes-version', 'v1.31.2'], {}, '--kubernetes-version: invalid Kubernetes version "v1.31.2" (need major.minor, e.g. "1.31")');
    fails([...BASE, '--cluster-cidr', '10.0.0.0'], {}, '--cluster-cidr: invalid CIDR "10.0.0.0"');
    fails([...BASE, '--cluster-ca-bundle=not base64!'], {}, '--cluster-ca-bundle: must be base64 (of the PEM bundle)');
    fails([...BASE, '--aws-endpoint-url', 'localhost:5000'], {}, /^--aws-endpoint-url: invalid URL/);
  });

  it('refuses contradictory timings', () => {
    fails([...BASE, '--batch-idle-duration=20s'], {}, '--batch-idle-duration (20s) must not exceed --batch-max-duration (10s)');
    fails([...BASE, '--renew-deadline=15s'], {}, '--renew-deadline (15s) must be shorter than --lease-duration (15s)');
    fails([...BASE, '--retry-period=10s'], {}, '--retry-period (10s) must be shorter than --renew-deadline (10s)');
  });

  it('returns the help text for --help, whatever else is given', () => {
    const r = parseOperatorOptions(['--bogus', '--help'], {});
    assert.equal(r.kind, 'help');
    assert.equal(r.text, operatorHelp());
  });
});

describe('operatorHelp', () => {
  it('lists every flag with its environment variable and default', () => {
    const help = operatorHelp();
    assert.match(help, /^Usage: nodewright controller \[flags\]/);
    for (const spec of Object.values(OPERATOR_FLAGS)) {
      const at = help.indexOf(`  --${spec.flag}${spec.placeholder ? ` ${spec.placeholder}` : ''}\n`);
      assert.ok(at >= 0, `--${spec.flag} is listed`);
      const next = help.slice(at).split('\n')[1];
      assert.equal(next, `      env ${spec.env}, default ${spec.defaultText}`, `--${spec.flag}'s variable and default`);
      assert.ok(spec.description.length > 10, `--${spec.flag} is described`);
    }
    assert.match(help, /--batch-idle-duration <duration>\n {6}env BATCH_IDLE_DURATION, default 1s\n/);
    assert.match(help, /--cloud-provider aws\|kwok\n {6}env CLOUD_PROVIDER, default \(required\)\n/);
    assert.match(help, /--lease-duration <duration>\n {6}env LEASE_DURATION, default 15s\n/);
    assert.match(help, /--metrics-port <port>\n {6}env METRICS_PORT, default 8080\n/);
  });

  it('names each flag and variable once, and every default parses', () => {
    const specs = Object.values(OPERATOR_FLAGS);
    assert.equal(new Set(specs.map((s) => s.flag)).size, specs.length);
    assert.equal(new Set(specs.map((s) => s.env)).size, specs.length);
    for (const s of specs) {
      if (s.defaultText.startsWith('(') || s.defaultText.startsWith('<')) continue;
      assert.doesNotThrow(() => s.parse(s.defaultText), `the default of --${s.flag} parses`);
    }
  });
});
