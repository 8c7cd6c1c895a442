{{/* The chart's name, or nameOverride. */}}
{{- define "nodewright.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the release's objects: fullnameOverride, else the release name (with the chart's name when it lacks it). */}}
{{- define "nodewright.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "nodewright.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nodewright.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "nodewright.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nodewright.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "nodewright.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nodewright.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "nodewright.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Namespace of the leader election Lease (and of the Role that allows it). */}}
{{- define "nodewright.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace -}}
{{- end -}}

{{/* Whether nodewright's kwok node agent runs (it writes node Leases, node and pod status). */}}
{{- define "nodewright.kwokNodeAgent" -}}
{{- if and (eq .Values.cloudProvider "kwok") (ne (toString .Values.settings.kwokNodeAgent) "false") -}}true{{- end -}}
{{- end -}}

{{/*
The settings table: values key under .Values.settings -> the controller's environment variable.
Keep it in step with src/operator/options.ts (the chart test renders every entry and checks each
variable against the controller's flag table).
*/}}
{{- define "nodewright.settingsEnv" -}}
kubeRequestTimeout: KUBE_REQUEST_TIMEOUT
clusterName: CLUSTER_NAME
clusterEndpoint: CLUSTER_ENDPOINT
clusterCABundle: CLUSTER_CA_BUNDLE
clusterCidr: CLUSTER_CIDR
kubernetesVersion: KUBERNETES_VERSION
awsRegion: AWS_REGION
awsEndpointUrl: AWS_ENDPOINT_URL
interruptionQueue: INTERRUPTION_QUEUE
kwokRegistrationDelay: KWOK_REGISTRATION_DELAY
kwokNodeAgent: KWOK_NODE_AGENT
binding: BINDING
batchIdleDuration: BATCH_IDLE_DURATION
batchMaxDuration: BATCH_MAX_DURATION
ignorePreferences: IGNORE_PREFERENCES
registrationTimeout: REGISTRATION_TIMEOUT
unavailableOfferingTtl: UNAVAILABLE_OFFERING_TTL
disruptionInterval: DISRUPTION_INTERVAL
consolidationValidation: CONSOLIDATION_VALIDATION
spotToSpotConsolidation: SPOT_TO_SPOT_CONSOLIDATION
consolidationMaxReplacements: CONSOLIDATION_MAX_REPLACEMENTS
leakedInstanceGrace: LEAKED_INSTANCE_GRACE
logLevel: LOG_LEVEL
{{- end -}}

{{/* Fails the render on values the controller would refuse at start. */}}
{{- define "nodewright.validate" -}}
{{- if not (has .Values.cloudProvider (list "aws" "kwok")) -}}
{{- fail (printf "cloudProvider must be aws or kwok, not %q" (toString .Values.cloudProvider)) -}}
{{- end -}}
{{- if eq .Values.cloudProvider "aws" -}}
{{- range $key := list "clusterEndpoint" "clusterCABundle" "kubernetesVersion" "awsRegion" -}}
{{- if not (get $.Values.settings $key) -}}
{{- fail (printf "settings.%s is required when cloudProvider is aws" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "leaderElection.enabled must be true with more than one replica (otherwise every replica acts)" -}}
{{- end -}}
{{- $known := include "nodewright.settingsEnv" . | fromYaml -}}
{{- range $key, $_ := .Values.settings -}}
{{- if not (hasKey $known $key) -}}
{{- fail (printf "settings.%s is not a nodewright setting" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
