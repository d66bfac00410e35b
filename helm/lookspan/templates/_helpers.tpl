{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "lookspan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: release name + chart name, at most 63 characters.
*/}}
{{- define "lookspan.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the headless service that governs the StatefulSet.
*/}}
{{- define "lookspan.headlessServiceName" -}}
{{- printf "%s-headless" (include "lookspan.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "lookspan.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels shared by every resource.
*/}}
{{- define "lookspan.labels" -}}
helm.sh/chart: {{ include "lookspan.chart" . }}
{{ include "lookspan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels that select the pods.
*/}}
{{- define "lookspan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lookspan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of the `helm test` pod (the NetworkPolicy admits it on the HTTP port).
*/}}
{{- define "lookspan.testLabels" -}}
helm.sh/chart: {{ include "lookspan.chart" . }}
app.kubernetes.io/name: {{ printf "%s-test" (include "lookspan.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "lookspan.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lookspan.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Container image reference; a digest wins over a tag.
*/}}
{{- define "lookspan.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
In-cluster DNS name of the main service.
*/}}
{{- define "lookspan.serviceHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "lookspan.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
A Kubernetes memory quantity ("4Gi", "4096Mi", "4G", "1.5Gi", 4294967296) in
MiB, as a float. Fails on a quantity it cannot read.
*/}}
{{- define "lookspan.quantityToMiB" -}}
{{- $q := . -}}
{{- if not (kindIs "string" $q) -}}
{{- $q = printf "%d" (int64 $q) -}}
{{- end -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $unit := trimPrefix $num $q -}}
{{- /* MiB per unit: binary suffixes are exact, decimal ones are 10^n / 2^20. */ -}}
{{- $perUnit := dict "" 0.00000095367431640625 "k" 0.00095367431640625 "Ki" 0.0009765625 "M" 0.95367431640625 "Mi" 1.0 "G" 953.67431640625 "Gi" 1024.0 "T" 953674.31640625 "Ti" 1048576.0 -}}
{{- if or (not $num) (not (hasKey $perUnit $unit)) -}}
{{- fail (printf "cannot read the memory quantity %q (use a number with an optional suffix k, M, G, T, Ki, Mi, Gi or Ti)" $q) -}}
{{- end -}}
{{- mulf (float64 $num) (get $perUnit $unit) -}}
{{- end }}

{{/*
LOOKSPAN_DUCKDB_MEMORY_LIMIT: duckdb.memoryLimit when set; otherwise
duckdb.memoryLimitPercent of resources.limits.memory, rounded down to whole
MiB; empty (variable not set) when neither is given.
*/}}
{{- define "lookspan.duckdbMemoryLimit" -}}
{{- if .Values.duckdb.memoryLimit -}}
{{- .Values.duckdb.memoryLimit -}}
{{- else -}}
{{- $limit := dig "limits" "memory" "" (.Values.resources | default dict) -}}
{{- if $limit -}}
{{- $mib := include "lookspan.quantityToMiB" $limit | float64 -}}
{{- $share := floor (divf (mulf $mib .Values.duckdb.memoryLimitPercent) 100) | int64 -}}
{{- if lt $share 64 -}}
{{- fail (printf "duckdb.memoryLimitPercent of resources.limits.memory (%v) leaves DuckDB %d MiB; give the pod more memory or set duckdb.memoryLimit" $limit $share) -}}
{{- end -}}
{{- printf "%dMiB" $share -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/*
LOOKSPAN_DUCKDB_THREADS: duckdb.threads when above 0; otherwise
resources.limits.cpu rounded up to whole cores, at least 1; empty (variable
not set) when neither is given.
*/}}
{{- define "lookspan.duckdbThreads" -}}
{{- if .Values.duckdb.threads -}}
{{- .Values.duckdb.threads | int64 -}}
{{- else -}}
{{- $cpu := dig "limits" "cpu" "" (.Values.resources | default dict) -}}
{{- if $cpu -}}
{{- $c := toString $cpu -}}
{{- $cores := 0.0 -}}
{{- if hasSuffix "m" $c -}}
{{- $cores = divf (float64 (trimSuffix "m" $c)) 1000 -}}
{{- else if regexMatch "^[0-9]+(\\.[0-9]+)?$" $c -}}
{{- $cores = float64 $c -}}
{{- else -}}
{{- fail (printf "cannot read the CPU quantity %q (use cores, e.g. 2 or 1.5, or millicores, e.g. 1500m)" $c) -}}
{{- end -}}
{{- max 1 (ceil $cores | int64) -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/*
Refuse settings that would put two writers on one data directory, or that
Kubernetes would cut short.
*/}}
{{- define "lookspan.validate" -}}
{{- if and (not .Values.auth.existingSecret) (not .Values.auth.apiKeys) (not .Values.auth.allowOpen) }}
{{- fail "auth: the service refuses to start on the pod's address without an API key. Set auth.existingSecret (a Secret whose api-keys value is comma-separated <key>:<role>[:<project>], e.g. kubectl create secret generic lookspan-keys --from-literal=api-keys=\"$(openssl rand -hex 32):admin\"), or auth.apiKeys, or auth.allowOpen=true if a gateway authenticates every request" }}
{{- end }}
{{- range .Values.auth.apiKeys }}
{{- if not (regexMatch "^[^:,\\s]{16,512}:(admin|viewer|ingest)(:[^:,\\s]{1,128})?$" .) }}
{{- fail "auth.apiKeys: every entry must be <key>:<role>[:<project>] with a key of 16 to 512 characters without \":\", \",\" or spaces and a role admin, viewer or ingest (the entry is not shown: it is a secret)" }}
{{- end }}
{{- end }}
{{- if and .Values.persistence.enabled .Values.persistence.existingClaim (gt (int .Values.replicaCount) 1) }}
{{- fail "persistence.existingClaim holds one single-writer store: it needs replicaCount 1 (leave existingClaim empty to give every replica its own claim)" }}
{{- end }}
{{- if and .Values.lookspan.shutdownTimeoutSeconds (ge (int .Values.lookspan.shutdownTimeoutSeconds) (int .Values.terminationGracePeriodSeconds)) }}
{{- fail "lookspan.shutdownTimeoutSeconds must be below terminationGracePeriodSeconds, or Kubernetes kills the pod mid-shutdown" }}
{{- end }}
{{- if and (not .Values.lookspan.shutdownTimeoutSeconds) (le (int .Values.terminationGracePeriodSeconds) 10) }}
{{- fail "terminationGracePeriodSeconds must exceed the service's default shutdown timeout of 10 s (or set lookspan.shutdownTimeoutSeconds below it)" }}
{{- end }}
{{- end }}

{{/*
The Secret LOOKSPAN_API_KEYS comes from: auth.existingSecret, or the one the
chart creates from auth.apiKeys (templates/secret.yaml), and the key in it.
*/}}
{{- define "lookspan.authSecretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "lookspan.fullname" . | trunc 58 | trimSuffix "-")) }}
{{- end }}

{{- define "lookspan.authSecretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}api-keys{{ end }}
{{- end }}
